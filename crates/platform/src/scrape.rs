//! `GET /metrics` (R16): Prometheus text format, through the `metrics` facade and its Prometheus
//! recorder. Requests and errors are counted where they happen (the API, the jobs); the backlogs and the
//! database pool are read when scraped. Admin token, or a client in `metrics.allowed_networks`.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;
use std::net::IpAddr;
use std::sync::OnceLock;

/// The process's recorder (one per process: several servers in one test process share it).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Installs the Prometheus recorder once; `None` when another recorder is installed.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(&BUCKETS).ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    // Histogram samples are drained on render or upkeep: without a scrape they would pile up.
                    let upkeep = handle.clone();
                    std::thread::Builder::new()
                        .name("metrics-upkeep".to_owned())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(std::time::Duration::from_secs(5));
                                upkeep.run_upkeep();
                            }
                        })
                        .ok()?;
                    api::cache_request_metrics();
                    Some(handle)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// Who may scrape without a token: `metrics.allowed_networks`.
#[derive(Clone)]
pub struct Access {
    networks: ops_console::Networks,
}

impl Access {
    /// From `metrics.allowed_networks`; a malformed CIDR is an error naming it.
    pub fn parse(networks: &[String]) -> anyhow::Result<Access> {
        Ok(Access { networks: ops_console::Networks::parse("metrics.allowed_networks", networks)? })
    }

    fn allows(&self, peer: IpAddr) -> bool {
        self.networks.contains(peer)
    }
}

/// Answers a scrape: 404 when metrics are off, 401/403 without the right to scrape.
pub(crate) async fn scrape(
    handle: Option<&PrometheusHandle>,
    access: &Access,
    auth: &api::auth::Authenticator,
    db: &DatabaseConnection,
    peer: Option<IpAddr>,
    headers: &HeaderMap,
) -> Response {
    let Some(handle) = handle else {
        return (StatusCode::NOT_FOUND, "metrics are off (setting metrics.enabled)").into_response();
    };
    if !peer.is_some_and(|p| access.allows(p)) {
        let authorization = headers.get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("<not text>"));
        match auth.principal(authorization) {
            Ok(principal) if principal.role() == Some(members::Role::Admin) => {}
            Ok(principal) if principal.role().is_some() => {
                return (StatusCode::FORBIDDEN, "an admin token, or a client in metrics.allowed_networks")
                    .into_response();
            }
            _ => {
                return (StatusCode::UNAUTHORIZED, "an admin token, or a client in metrics.allowed_networks")
                    .into_response();
            }
        }
    }
    gauges(db).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle.render()).into_response()
}

/// The gauges read at scrape time: backlogs and the pool.
async fn gauges(db: &DatabaseConnection) {
    let now = chrono::Utc::now();
    match notify::figures::deliveries(db, now, now).await {
        Ok(endpoints) => {
            let (mut webhooks, mut slack) = (0u64, 0u64);
            let (mut oldest_webhook, mut oldest_slack) = (None, None);
            for e in endpoints {
                let (count, oldest) = if e.url == "slack" {
                    (&mut slack, &mut oldest_slack)
                } else {
                    (&mut webhooks, &mut oldest_webhook)
                };
                *count += e.pending;
                *oldest = (*oldest).into_iter().chain(e.oldest_pending).min();
            }
            let age = |t: Option<chrono::DateTime<chrono::Utc>>| {
                t.map_or(0.0, |t| (now - t).num_seconds().max(0) as f64)
            };
            metrics::gauge!("backlog_items", "queue" => "webhooks").set(webhooks as f64);
            metrics::gauge!("backlog_items", "queue" => "slack").set(slack as f64);
            metrics::gauge!("backlog_oldest_age_seconds", "queue" => "webhooks").set(age(oldest_webhook));
            metrics::gauge!("backlog_oldest_age_seconds", "queue" => "slack").set(age(oldest_slack));
        }
        Err(err) => tracing::warn!(error = %err, "reading the webhook backlog for metrics"),
    }
    match notify::figures::emails(db, now, now).await {
        Ok(emails) => metrics::gauge!("backlog_items", "queue" => "emails").set(emails.queued as f64),
        Err(err) => tracing::warn!(error = %err, "reading the e-mail backlog for metrics"),
    }
    let (size, idle) = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
    };
    metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(size));
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(size.saturating_sub(u32::try_from(idle).unwrap_or(0)) as f64);
}
