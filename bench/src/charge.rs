//! `batch-bench charge N`: the R9 charge run over N due renewals (one payer, member and digital pass each),
//! through the simulated gateway answering after `LATENCY_MS` (default 0), with the runner's `CONCURRENCY`,
//! `BATCH` and `IN_FLIGHT` (defaults as in the settings: 32, 200, 4). Each round seeds N fresh
//! renewals, runs one `ChargeRun` until nothing is due, and checks the gateway ledger holds exactly N
//! charges. Its baseline is the ideal of a gateway-bound run, `concurrency ÷ latency` renewals/s.
//! `GATEWAY=memory` charges through a gateway whose ledger is a map in this process (approving every key
//! once), to measure the run without the simulated gateway's own ledger writes. `GATEWAY=ecpay` charges
//! through the ECPay adapter against the local ECPay-speaking server (`ecpay-stage`, started in this
//! process, answering after `LATENCY_MS`): the cost of ECPay's envelope (AES, JSON, HTTP) beside the same
//! latency's ideal. The renewals' tokens are sealed at rest (R23); `TOKENS=clear` stores them in clear as
//! before encryption, to measure what opening them costs.

use crate::{Result, exec, series};
use chrono::NaiveDate;
use platform_core::BusinessCalendar;
use platform_core::settings::RenewalSettings;
use sea_orm::{DatabaseConnection, DbBackend};
use std::time::{Duration, Instant};

pub(crate) async fn charge(db: &DatabaseConnection, n: i64, rounds: usize) -> Result<()> {
    let latency =
        Duration::from_millis(std::env::var("LATENCY_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(0));
    let settings = RenewalSettings {
        concurrency: std::env::var("CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(32),
        batch: std::env::var("BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(200),
        batches_in_flight: std::env::var("IN_FLIGHT").ok().and_then(|v| v.parse().ok()).unwrap_or(4),
        ..RenewalSettings::default()
    };
    let day = NaiveDate::from_ymd_opt(2027, 3, 1).ok_or("date")?;
    for round in 1..=rounds {
        seed(db, n).await?;
        if std::env::var("TOKENS").is_ok_and(|t| t == "clear") {
            // As before encryption (R23): the run reads the token without opening it.
            exec(db, "UPDATE renewals SET payment_token = 'tok_ok_bench'").await?;
        }
        let simulated = payments::SimulatedGateway::new(db.clone(), latency);
        let memory = Memory::default();
        let orders = orders::service::OrderService::new(
            db.clone(),
            catalog::Catalog::new(db.clone(), Duration::from_secs(60)),
            BusinessCalendar::default(),
            "A01".into(),
        );
        let at = BusinessCalendar::default().start_of(day) + chrono::Duration::hours(2);
        let kind = std::env::var("GATEWAY").unwrap_or_default();
        let stage = if kind == "ecpay" {
            exec(db, "UPDATE renewals SET payment_token = 'card_ok_bench'").await?;
            Some(ecpay_stage::EcpayStage::start(latency, Duration::ZERO).await?)
        } else {
            None
        };
        let started = Instant::now();
        let summary = match &stage {
            Some(stage) => {
                let ecpay =
                    payments::ecpay::EcpayGateway::new(&ecpay_settings(stage), Duration::from_secs(30))?;
                runner(orders, ecpay, &settings).run(renewals::charge::Due::Scheduled, day, at).await?
            }
            None if kind == "memory" => {
                runner(orders, memory.clone(), &settings)
                    .run(renewals::charge::Due::Scheduled, day, at)
                    .await?
            }
            None => {
                runner(orders, simulated.clone(), &settings)
                    .run(renewals::charge::Due::Scheduled, day, at)
                    .await?
            }
        };
        let secs = started.elapsed().as_secs_f64();
        let charges = match &stage {
            Some(stage) => stage.with_ledger(|l| l.trades.len()),
            None if kind == "memory" => memory.count(),
            None => simulated.charges().await?.len(),
        };
        let ideal = if latency.is_zero() {
            f64::INFINITY
        } else {
            settings.concurrency as f64 / latency.as_secs_f64()
        };
        println!(
            "RESULT charge round={round} renewals={n} charged={} ledger={charges} latency_ms={} concurrency={} secs={secs:.2} per_sec={:.0} ideal_per_sec={ideal:.0} of_ideal={:.2}",
            summary.charged,
            latency.as_millis(),
            settings.concurrency,
            summary.charged as f64 / secs,
            (summary.charged as f64 / secs) / ideal,
        );
        if charges as i64 != n || summary.charged as i64 != n {
            return Err(format!("expected {n} charges, the ledger has {charges}: {summary:?}").into());
        }
    }
    Ok(())
}

/// The adapter's settings for the local stage server.
fn ecpay_settings(stage: &ecpay_stage::EcpayStage) -> platform_core::settings::EcpaySettings {
    platform_core::settings::EcpaySettings {
        merchant_id: ecpay_stage::STAGE_MERCHANT.to_owned(),
        hash_key: platform_core::settings::Secret::new(ecpay_stage::STAGE_HASH_KEY),
        hash_iv: platform_core::settings::Secret::new(ecpay_stage::STAGE_HASH_IV),
        ecpg_url: stage.url.clone(),
        payment_url: stage.url.clone(),
        item_name: "訂閱續訂".to_owned(),
    }
}

/// N customers `BC<n>` with members, each holding the digital pass (KCW) until 2027-03-02 and a PENDING
/// renewal of 全閱讀 一年 (KC24010002) due 2027-03-01 with a `tok_ok` card.
async fn seed(db: &DatabaseConnection, n: i64) -> Result<()> {
    let backend = db.get_database_backend();
    let tables = [
        "simulated_charges",
        "emails",
        "renewal_charges",
        "renewals",
        "entitlement_grants",
        "entitlements",
        "payments",
        "order_lines",
        "orders",
        "events",
        "member_customers",
        "customers",
        "members",
    ];
    if backend == DbBackend::Postgres {
        // DELETE would check each row's foreign keys one by one (renewals reference renewals).
        exec(db, &format!("TRUNCATE {} CASCADE", tables.join(", "))).await?;
    } else {
        for table in tables {
            exec(db, &format!("DELETE FROM {table}")).await?;
        }
    }
    let (uuid, now, date) = match backend {
        DbBackend::Postgres => ("gen_random_uuid()", "now()", "DATE "),
        _ => ("randomblob(16)", "CURRENT_TIMESTAMP", ""),
    };
    let g = series(backend, n);
    // Stored as the platform stores it: sealed with the process's key (R23).
    let sealed = platform_core::tokens::current().seal("tok_ok_bench");
    exec(
        db,
        &format!(
            "INSERT INTO customers (customer_no, name, email, created_at, updated_at)
         SELECT 'BC' || n, 'Bench ' || n, 'bc' || n || '@example.com', {now}, {now} FROM {g}"
        ),
    )
    .await?;
    exec(
        db,
        &format!(
            "INSERT INTO members (account, uuid, email, created_at, updated_at)
         SELECT 'bc' || n || '@example.com', {uuid}, 'bc' || n || '@example.com', {now}, {now} FROM {g}"
        ),
    )
    .await?;
    exec(db, &format!(
        "INSERT INTO entitlements (holder_member_id, product_code, right_due_date, subscribe_status, seniority_thousandths, estimated, created_at, updated_at)
         SELECT id, 'KCW', {date}'2027-03-02', 1, 0, false, {now}, {now} FROM members"
    )).await?;
    exec(db, &format!(
        "INSERT INTO renewals (customer_id, member_id, promotion_code, product_codes, product_name, deduct_date, deduct_price,
                               shipping_fee, payment, payment_method, payment_card, payment_token, renew_status, cycle, source,
                               attempts, created_at, updated_at)
         SELECT c.id, m.id, 'KC24010002', 'KCW', '全閱讀 一年', {date}'2027-03-01', 1990, 0, '信用卡', 'CREDIT_CARD', '4242',
                '{sealed}', 1, 1, 'AUTO', 0, {now}, {now}
         FROM customers c JOIN members m ON m.account = 'bc' || substr(c.customer_no, 3) || '@example.com'"
    )).await?;
    // The paid EC orders the renewals came from, so the order tables hold what they would in production
    // (and PostgreSQL's planner sees tables of that size, not empty ones).
    exec(db, &format!(
        "INSERT INTO orders (order_no, idempotency_key, request_hash, source, status, payment_status, member_id, payer_customer_id,
                             receiver_name, total_amount, shipping_fee, invoice_type, payment_method, card_last4, complimentary,
                             paid_at, created_at, updated_at)
         SELECT 'OB' || m.id, 'bench-origin-' || m.id, 'x', 'EC', 'CONFIRMED', 'PAID', m.id, c.id, c.name, 1990, 0, 1,
                'CREDIT_CARD', '4242', false, {now}, {now}, {now}
         FROM customers c JOIN members m ON m.account = 'bc' || substr(c.customer_no, 3) || '@example.com'"
    )).await?;
    exec(db, &format!(
        "INSERT INTO order_lines (order_id, position, input_line, item_no, promotion_code, category, product_code, quantity, amount,
                                  status, subinventory, created_at, updated_at)
         SELECT id, 0, 0, 'KCW12M', 'KC24010002', (SELECT category FROM items WHERE item_no = 'KCW12M'), 'KCW', 1, 1990,
                'CONFIRMED', 'A01', {now}, {now} FROM orders"
    )).await?;
    exec(
        db,
        &format!(
            "INSERT INTO payments (order_id, transaction_id, status, amount, paid_at, recorded_at)
         SELECT id, 'bench-paid-' || id, 'PAID', 1990, {now}, {now} FROM orders"
        ),
    )
    .await?;
    if backend == DbBackend::Postgres {
        exec(db, "VACUUM ANALYZE").await?;
    }
    Ok(())
}

fn runner<G: payments::PaymentGateway + Clone + 'static>(
    orders: orders::service::OrderService,
    gateway: G,
    settings: &RenewalSettings,
) -> renewals::charge::ChargeRun<G> {
    renewals::charge::ChargeRun::new(
        orders,
        BusinessCalendar::default(),
        gateway,
        settings.clone(),
        Duration::from_secs(30),
    )
}

/// A gateway whose ledger is a map in this process: approves every key once.
#[derive(Clone, Default)]
struct Memory(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, payments::ChargeOutcome>>>);

impl Memory {
    fn count(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or_default()
    }
}

impl payments::PaymentGateway for Memory {
    async fn charge(
        &self,
        request: &payments::ChargeRequest,
    ) -> std::result::Result<payments::ChargeOutcome, payments::GatewayError> {
        let mut ledger = self.0.lock().map_err(|_| payments::GatewayError::Transient("poisoned".into()))?;
        let outcome = ledger.entry(request.idempotency_key.clone()).or_insert_with(|| {
            payments::ChargeOutcome::Approved { transaction_id: format!("mem_{}", request.idempotency_key) }
        });
        Ok(outcome.clone())
    }

    async fn lookup(
        &self,
        key: &str,
    ) -> std::result::Result<Option<payments::ChargeOutcome>, payments::GatewayError> {
        Ok(self.0.lock().ok().and_then(|m| m.get(key).cloned()))
    }

    async fn refund(
        &self,
        _: &payments::RefundRequest,
    ) -> std::result::Result<payments::RefundOutcome, payments::GatewayError> {
        Err(payments::GatewayError::Transient("the charge bench refunds nothing".into()))
    }

    async fn lookup_refund(
        &self,
        _: &str,
    ) -> std::result::Result<Option<payments::RefundOutcome>, payments::GatewayError> {
        Ok(None)
    }
}
