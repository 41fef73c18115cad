//! Batch benchmarks of issue #5, each next to its baseline measured in the same run:
//!
//! - `batch-bench expiry N`: R10 over N entitlements that are all due (N changes and N events), against the
//!   bare `UPDATE` of the same rows without the events (the cost of the outbox) and, on PostgreSQL, the floor
//!   of any implementation: that bare update plus inserting the same N events, computed beforehand;
//! - `batch-bench webhooks N`: the dispatcher delivering N events to a local receiver (fan-out, claim,
//!   sign, POST, record), against the same N signed POSTs sent straight from a client with the same
//!   concurrency and no database;
//! - `batch-bench charge N` (issue #6): the R9 charge run over N due renewals through the simulated gateway
//!   (`LATENCY_MS`, `CONCURRENCY`, `BATCH`), against the gateway-bound ideal `concurrency ÷ latency`.
//!
//! Database: `BENCH_DATABASE_URL` (an empty database it may fill; PostgreSQL is the production case), else a
//! temporary SQLite file. Prints one `RESULT` line per measured round.

#![allow(clippy::print_stdout, reason = "a benchmark reports on standard output")]

mod charge;

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::time::{Duration, Instant};

pub(crate) type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let n: i64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let folder = std::env::temp_dir().join(format!("batch-bench-{}", std::process::id()));
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", folder.display()));
    let db = platform_core::db::connect(&url, &platform_core::settings::DatabaseSettings::default()).await?;
    use migration::MigratorTrait;
    migration::Migrator::up(&db, None).await?;
    catalog::demo::load(&db, NaiveDate::from_ymd_opt(2026, 11, 22).ok_or("date")?).await?;
    match mode.as_str() {
        "expiry" => expiry(&db, n, rounds).await?,
        "webhooks" => webhooks(&db, n, rounds).await?,
        "charge" => charge::charge(&db, n, rounds).await?,
        _ => return Err("usage: batch-bench expiry|webhooks|charge N".into()),
    }
    let _ = std::fs::remove_dir_all(folder);
    Ok(())
}

pub(crate) async fn exec(db: &DatabaseConnection, sql: &str) -> Result<u64> {
    Ok(db
        .execute_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await?
        .rows_affected())
}

/// `SELECT n FROM 1..=count` in the backend's dialect, as a FROM item named `g(n)`.
pub(crate) fn series(backend: DbBackend, count: i64) -> String {
    match backend {
        DbBackend::Postgres => format!("generate_series(1, {count}) AS g(n)"),
        _ => format!(
            "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s) AS g"
        ),
    }
}

async fn expiry(db: &DatabaseConnection, n: i64, rounds: usize) -> Result<()> {
    let backend = db.get_database_backend();
    exec(db, "DELETE FROM entitlements").await?;
    exec(db, "DELETE FROM events").await?;
    exec(db, "DELETE FROM customers WHERE customer_no LIKE 'BX%'").await?;
    let now = if backend == DbBackend::Postgres { "now()" } else { "CURRENT_TIMESTAMP" };
    exec(db, &format!("INSERT INTO customers (customer_no, created_at, updated_at) SELECT 'BX' || n, {now}, {now} FROM {}", series(backend, n))).await?;
    let due = if backend == DbBackend::Postgres { "DATE '2026-10-01'" } else { "'2026-10-01'" };
    exec(db, &format!(
        "INSERT INTO entitlements (holder_customer_id, product_code, right_due_date, subscribe_status, seniority_thousandths, estimated, created_at, updated_at)
         SELECT id, 'GCV', {due}, 1, 0, false, {now}, {now} FROM customers WHERE customer_no LIKE 'BX%'"
    )).await?;
    if backend == DbBackend::Postgres {
        exec(db, "VACUUM ANALYZE entitlements").await?;
    }
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).ok_or("date")?;
    let reset = "UPDATE entitlements SET subscribe_status = 1";
    // The events R10 writes, computed once beforehand, so that writing them alone can be timed (PostgreSQL).
    let postgres = backend == DbBackend::Postgres;
    if postgres {
        exec(db, "DROP TABLE IF EXISTS floor_events").await?;
        exec(db, "CREATE TABLE floor_events AS SELECT gen_random_uuid() AS event_id, 'entitlement.expired' AS event_type,
                  'entitlement:' || e.id AS subject,
                  json_build_object('productCode', e.product_code, 'customerNo', cu.customer_no, 'account', NULL,
                                    'rightDueDate', e.right_due_date, 'temporaryUntil', e.temporary_until,
                                    'fromCode', 1, 'toCode', 2)::text AS payload, now() AS occurred_at
                  FROM entitlements e JOIN customers cu ON cu.id = e.holder_customer_id ORDER BY e.id").await?;
    }
    for round in 1..=rounds {
        exec(db, reset).await?;
        exec(db, "DELETE FROM events").await?;
        let started = Instant::now();
        let summary = entitlements::expire::expire(db, today, 0, Utc::now()).await?;
        let ours = started.elapsed();
        exec(db, reset).await?;
        let started = Instant::now();
        let bare = exec(db, &format!("UPDATE entitlements SET subscribe_status = 2, updated_at = {now} WHERE subscribe_status = 1 AND right_due_date < {due_today}", due_today = if backend == DbBackend::Postgres { "DATE '2026-11-22'" } else { "'2026-11-22'" })).await?;
        let baseline = started.elapsed();
        // The floor: the same rows' events, already computed, inserted into `events` with its indexes.
        let mut events_insert = Duration::ZERO;
        if postgres {
            exec(db, "DELETE FROM events").await?;
            let started = Instant::now();
            exec(db, "INSERT INTO events (event_id, event_type, subject, payload, occurred_at) SELECT * FROM floor_events").await?;
            events_insert = started.elapsed();
        }
        println!(
            "RESULT expiry round={round} rows={n} changed={} events=yes secs={:.2} bare_update_secs={:.2} bare_changed={bare} ratio={:.2} events_insert_secs={:.2} floor_secs={:.2}",
            summary.lapsed,
            ours.as_secs_f64(),
            baseline.as_secs_f64(),
            ours.as_secs_f64() / baseline.as_secs_f64(),
            events_insert.as_secs_f64(),
            (baseline + events_insert).as_secs_f64()
        );
    }
    Ok(())
}

async fn webhooks(db: &DatabaseConnection, n: i64, rounds: usize) -> Result<()> {
    use axum::routing::post;
    let app = axum::Router::new().route("/hook", post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let backend = db.get_database_backend();
    // The receiver is on this machine.
    let local = notify::OutboundPolicy { allow_private_networks: true };
    let settings = notify::DispatchSettings {
        schedule: vec![Duration::from_secs(3600)],
        outbound: local,
        ..notify::DispatchSettings::default()
    };
    let concurrency = settings.concurrency;
    for round in 1..=rounds {
        exec(db, "DELETE FROM webhook_deliveries").await?;
        exec(db, "DELETE FROM webhook_endpoints").await?;
        let new = notify::NewEndpoint { url: url.clone(), events: vec!["bench.*".into()], secret: None };
        let (_, secret) = notify::endpoints::create_endpoint(db, new, local, Utc::now()).await?;
        let (uuid, now) = match backend {
            DbBackend::Postgres => ("gen_random_uuid()", "now()"),
            _ => ("randomblob(16)", "CURRENT_TIMESTAMP"),
        };
        exec(
            db,
            &format!(
                "INSERT INTO events (event_id, event_type, subject, payload, occurred_at)
             SELECT {uuid}, 'bench.tick', 'order:' || (n % 1000), '{{\"n\":' || n || '}}', {now} FROM {}",
                series(backend, n)
            ),
        )
        .await?;
        let dispatcher = notify::Dispatcher::new(db.clone(), settings.clone())?;
        let started = Instant::now();
        let mut delivered = 0;
        loop {
            let summary = dispatcher.run_once(Utc::now()).await?;
            delivered += summary.delivered;
            if summary.attempted == 0 && summary.fanned_out == 0 {
                break;
            }
        }
        let ours = started.elapsed();

        // Baseline: the same number of signed POSTs, straight from a client, same concurrency, no database.
        let client = reqwest::Client::new();
        let key = notify::signature::key_of(&secret).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let client = client.clone();
            let url = url.clone();
            let key = key.clone();
            let limit = std::sync::Arc::clone(&limit);
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let body = format!(
                    r#"{{"type":"bench.tick","timestamp":"2026-11-22T00:00:00.000Z","data":{{"n":{i}}}}}"#
                );
                let ts = Utc::now().timestamp();
                let id = format!("bench-{i}");
                let signature = notify::signature::header(&[key], &id, ts, body.as_bytes());
                client
                    .post(&url)
                    .header("webhook-id", id)
                    .header("webhook-timestamp", ts.to_string())
                    .header("webhook-signature", signature)
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
            });
        }
        let mut direct = 0;
        while let Some(ok) = tasks.join_next().await {
            if ok.unwrap_or(false) {
                direct += 1;
            }
        }
        let baseline = started.elapsed();
        println!(
            "RESULT webhooks round={round} events={n} delivered={delivered} secs={:.2} per_sec={:.0} direct_posts={direct} direct_secs={:.2} direct_per_sec={:.0} ratio={:.2}",
            ours.as_secs_f64(),
            delivered as f64 / ours.as_secs_f64(),
            baseline.as_secs_f64(),
            f64::from(direct) / baseline.as_secs_f64(),
            (delivered as f64 / ours.as_secs_f64()) / (f64::from(direct) / baseline.as_secs_f64()),
        );
        exec(db, "DELETE FROM webhook_deliveries").await?;
        exec(db, "DELETE FROM events WHERE event_type = 'bench.tick'").await?;
    }
    Ok(())
}
