//! Issue #15 fault 1: a charge whose settlement is cut short (the connection lost, the process killed)
//! must leave nothing half-written — no payment without its renewal EXECUTED — and the next claim must
//! settle it, from our own records when they already hold the payment, without charging again.

use crate::fixtures::{at, holder, on, orders, renewal, runner};
use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway, SimulatedGateway};
use platform_core::BusinessCalendar;
use platform_core::settings::RenewalSettings;
use renewals::RenewalStatus;
use renewals::charge::Due;
use renewals::service::{Renewal, create_renewal, find_renewal};
use sea_orm::{ConnectionTrait, DbBackend};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use test_support::{TestDb, count};

async fn created(db: &TestDb, n: usize) -> Renewal {
    let (customer_no, account) = holder(db, n).await;
    let mut input = renewal(&customer_no, &account, "GC18080026");
    input.payment_token = Some("tok_ok_4242".to_owned());
    create_renewal(&db.conn, BusinessCalendar::default(), input, at()).await.unwrap().renewal
}

/// Makes the last statement of a settlement (the next cycle's renewal) fail, as a connection killed at
/// that moment would.
async fn cut_settlements_short(db: &TestDb) {
    let statements: &[&str] = match db.backend() {
        DbBackend::Postgres => &[
            "CREATE FUNCTION cut_short() RETURNS trigger AS $$ BEGIN
               IF NEW.creation_key LIKE 'after:%' THEN RAISE EXCEPTION 'connection lost'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER cut_short BEFORE INSERT ON renewals FOR EACH ROW EXECUTE FUNCTION cut_short()",
        ],
        _ => &["CREATE TRIGGER cut_short BEFORE INSERT ON renewals WHEN NEW.creation_key LIKE 'after:%'
                BEGIN SELECT RAISE(ABORT, 'connection lost'); END"],
    };
    for sql in statements {
        db.conn.execute_unprepared(sql).await.unwrap();
    }
}

async fn reconnect(db: &TestDb) {
    db.conn.execute_unprepared("DROP TRIGGER cut_short ON renewals").await.ok();
    db.conn.execute_unprepared("DROP TRIGGER IF EXISTS cut_short").await.ok();
}

#[tokio::test]
async fn r9_a_settlement_cut_short_writes_nothing_and_the_next_run_settles_it_without_charging_again() {
    for db in test_support::databases().await {
        let first = created(&db, 41).await;
        let day = first.deduct_date;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let settings = RenewalSettings { lease_secs: 1, ..RenewalSettings::default() };
        cut_settlements_short(&db).await;
        let summary =
            runner(&db, gateway.clone(), settings.clone()).run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!((summary.charged, summary.errors), (0, 1), "{}", db.label());
        assert_eq!(gateway.approved_count().await.unwrap(), 1, "the gateway charged");
        // Nothing of the settlement is written: no payment, the order unpaid, the intent open.
        assert_eq!(
            count(&db.conn, "payments WHERE transaction_id LIKE 'sim_%'").await,
            0,
            "{}: a payment without its settlement",
            db.label()
        );
        assert_eq!(count(&db.conn, "orders WHERE source = 'AUTO' AND payment_status = 'PAID'").await, 0);
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'PENDING'").await, 1);
        assert_eq!(find_renewal(&db.conn, first.id).await.unwrap().unwrap().status, RenewalStatus::Pending);

        reconnect(&db).await;
        tokio::time::sleep(Duration::from_millis(1100)).await; // the first runner's claim runs out
        let summary = runner(&db, gateway.clone(), settings).run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!(summary.charged, 1, "{}", db.label());
        assert_eq!(
            gateway.charges().await.unwrap().len(),
            1,
            "settled from the gateway's record, not charged again"
        );
        let executed = find_renewal(&db.conn, first.id).await.unwrap().unwrap();
        assert_eq!(executed.status, RenewalStatus::Executed);
        assert_eq!(count(&db.conn, "payments WHERE transaction_id LIKE 'sim_%'").await, 1);
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'APPROVED'").await, 1);
        assert_eq!(count(&db.conn, &format!("renewals WHERE creation_key = 'after:{}'", first.id)).await, 1);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.duplicate'").await, 0);
    }
}

/// A gateway that must not be called; counts the calls it gets.
#[derive(Clone, Default)]
struct Unreachable {
    calls: Arc<AtomicUsize>,
}

impl PaymentGateway for Unreachable {
    async fn charge(&self, _: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(GatewayError::Transient("unreachable".into()))
    }

    async fn lookup(&self, _: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(GatewayError::Transient("unreachable".into()))
    }

    async fn refund(&self, _: &payments::RefundRequest) -> Result<payments::RefundOutcome, GatewayError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(GatewayError::Transient("unreachable".into()))
    }

    async fn lookup_refund(&self, _: &str) -> Result<Option<payments::RefundOutcome>, GatewayError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(GatewayError::Transient("unreachable".into()))
    }
}

/// The state the old two-transaction settlement left after `pg_terminate_backend`: the order PAID with
/// its payment, the intent and the renewal still open. Our own records decide it; the gateway is not asked
/// and the payment is not recorded twice.
#[tokio::test]
async fn r9_an_order_already_paid_under_an_open_intent_is_settled_from_our_records() {
    for db in test_support::databases().await {
        let first = created(&db, 42).await;
        let day = first.deduct_date;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let settings = RenewalSettings { lease_secs: 1, ..RenewalSettings::default() };
        cut_settlements_short(&db).await;
        runner(&db, gateway.clone(), settings.clone()).run(Due::Scheduled, day, on(day)).await.unwrap();
        reconnect(&db).await;
        let charge = gateway.charges().await.unwrap().remove(0);
        let ChargeOutcome::Approved { transaction_id } = charge.outcome else { panic!("{charge:?}") };
        let order_no = find_renewal(&db.conn, first.id).await.unwrap().unwrap().charge_order_no.unwrap();
        let report = orders::PaymentReport {
            order_no,
            transaction_id: transaction_id.clone(),
            status: orders::PaymentResult::Paid,
            amount: charge.amount.amount(),
            paid_at: Some(on(day)),
        };
        orders(&db).record_payment(report, on(day)).await.unwrap();

        tokio::time::sleep(Duration::from_millis(1100)).await;
        let unreachable = Unreachable::default();
        let summary =
            runner(&db, unreachable.clone(), settings).run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!(summary.charged, 1, "{}: {summary:?}", db.label());
        assert_eq!(unreachable.calls.load(Ordering::SeqCst), 0, "the gateway was not asked");
        assert_eq!(find_renewal(&db.conn, first.id).await.unwrap().unwrap().status, RenewalStatus::Executed);
        assert_eq!(
            count(&db.conn, "payments WHERE transaction_id LIKE 'sim_%'").await,
            1,
            "the payment is not recorded twice"
        );
        assert_eq!(
            count(
                &db.conn,
                &format!("renewal_charges WHERE status = 'APPROVED' AND transaction_id = '{transaction_id}'")
            )
            .await,
            1
        );
        assert_eq!(count(&db.conn, &format!("renewals WHERE creation_key = 'after:{}'", first.id)).await, 1);
        assert_eq!(
            count(&db.conn, "emails WHERE kind = 'charge_succeeded'").await,
            1,
            "the receipt goes out"
        );
    }
}
