//! R9, the charge run, against real databases and the simulated gateway's ledger: success and the next
//! cycle, declines with the card-update e-mail and retries, lost answers reconciled, transient errors,
//! no payment method, and no double charge with several runners or a runner killed half-way.

use crate::fixtures::{at, holder, on, ops, orders, renewal, runner};
use chrono::{Days, NaiveDate};
use members::Account;
use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway, SimulatedGateway};
use platform_core::error::HasErrorCode;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, ErrorCode};
use renewals::charge::{ChargeSummary, Due};
use renewals::service::{Renewal, create_renewal, find_renewal, renewals_of, stop_renewal, update_payment};
use renewals::{RenewalStatus, bulk};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use test_support::{TestDb, count};

async fn created(db: &TestDb, n: usize, token: Option<&str>) -> (Renewal, String, Account) {
    let (customer_no, account) = holder(db, n).await;
    let mut input = renewal(&customer_no, &account, "GC18080026");
    input.payment_token = token.map(str::to_owned);
    let renewal = create_renewal(&db.conn, BusinessCalendar::default(), input, at()).await.unwrap().renewal;
    (renewal, customer_no, Account::parse(&account).unwrap())
}

async fn due(
    db: &TestDb,
    customer_no: &str,
    account: &Account,
    code: &str,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let held = entitlements::query::entitlements_of(&db.conn, Some(customer_no), Some(account), Some(code))
        .await
        .unwrap();
    (held[0].right_due_date, held[0].temporary_until)
}

#[tokio::test]
async fn r9_a_due_renewal_is_charged_once_and_the_next_cycle_is_created() {
    for db in test_support::databases().await {
        let (first, customer_no, account) = created(&db, 1, Some("tok_ok_4242")).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(&db, gateway.clone(), RenewalSettings::default());
        let day = first.deduct_date;
        let (gcv_before, _) = due(&db, &customer_no, &account, "GCV").await;
        let (kcw_before, _) = due(&db, &customer_no, &account, "KCW").await;

        let early = day.checked_sub_days(Days::new(1)).unwrap();
        assert_eq!(run.run(Due::Scheduled, early, on(early)).await.unwrap(), ChargeSummary::default());
        let summary = run.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!(summary.charged, 1, "{}", db.label());
        assert_eq!(gateway.approved_count().await.unwrap(), 1);
        assert_eq!(gateway.charges().await.unwrap()[0].amount.amount(), 3480, "the plan's totalAmount");

        let executed = find_renewal(&db.conn, first.id).await.unwrap().unwrap();
        assert_eq!((executed.status, executed.attempts), (RenewalStatus::Executed, 1));
        let order_no = executed.charge_order_no.clone().unwrap();
        let order = orders(&db).find(&order_no).await.unwrap().unwrap();
        assert_eq!(order.source, orders::OrderSource::Auto);
        assert_eq!(order.payment_status, orders::PaymentStatus::Paid);
        assert_eq!(
            order.lines.iter().map(|l| l.amount.amount()).sum::<i64>(),
            3480,
            "R1 split of deductPrice"
        );

        // Entitlements extended (R3) and the temporary digital grant kept apart from the paid term.
        let (gcv_after, _) = due(&db, &customer_no, &account, "GCV").await;
        let (kcw_after, kcw_temporary) = due(&db, &customer_no, &account, "KCW").await;
        assert!(gcv_after > gcv_before && kcw_after > kcw_before, "{gcv_before:?}→{gcv_after:?}");
        assert_eq!(kcw_temporary, day.checked_add_days(Days::new(7)));
        assert_eq!(
            kcw_after,
            kcw_before.map(|d| entitlements::rules::add_months(d, 12)),
            "the temporary grant does not eat into the paid term"
        );

        let all = renewals_of(&db.conn, Some(&customer_no), None, None).await.unwrap();
        let next = all.iter().find(|r| r.id != first.id).unwrap();
        assert_eq!((next.status, next.cycle), (RenewalStatus::Pending, 2));
        assert_eq!(next.origin_order_no.as_deref(), Some(order_no.as_str()));
        assert!(next.deduct_date > day && next.has_payment_token);
        assert_eq!(
            count(
                &db.conn,
                &format!("events WHERE event_type = 'renewal.charged' AND subject = 'renewal:{}'", first.id)
            )
            .await,
            1
        );
        assert_eq!(count(&db.conn, "emails WHERE kind = 'charge_succeeded'").await, 1);

        // A second run, the same day or later, charges nothing more.
        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap(), ChargeSummary::default());
        assert_eq!(gateway.charges().await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn r9_a_declined_charge_emails_a_card_link_and_a_retry_with_a_new_card_succeeds() {
    for db in test_support::databases().await {
        let (first, customer_no, _) = created(&db, 2, Some("tok_decline_0002")).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let settings = RenewalSettings {
            card_update_url: "https://shop.test/renewals/{renewalId}/card".into(),
            ..RenewalSettings::default()
        };
        let run = runner(&db, gateway.clone(), settings);
        let day = first.deduct_date;

        let err = run.retry_now(&ops(), first.id, on(day)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "only a failed renewal is retried: {err}");

        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap().declined, 1, "{}", db.label());
        let failed = find_renewal(&db.conn, first.id).await.unwrap().unwrap();
        assert_eq!(failed.status, RenewalStatus::Failed);
        assert_eq!(failed.failure_reason.as_deref(), Some("card_declined"));
        assert_eq!(failed.next_retry_on, None, "no automatic retries configured");
        let final_failure = format!(
            "follow_ups WHERE kind = 'RENEWAL_FAILED_FINAL' AND subject = 'renewal:{}' AND status = 'OPEN'",
            first.id
        );
        assert_eq!(count(&db.conn, &final_failure).await, 1, "R17: no retry left, a person follows up");
        let order = orders(&db).find(failed.charge_order_no.as_deref().unwrap()).await.unwrap().unwrap();
        assert_eq!(order.payment_status, orders::PaymentStatus::Failed, "the member sees the failed order");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.charge_failed'").await, 1);
        let link = format!("https://shop.test/renewals/{}/card", first.id);
        assert_eq!(
            count(&db.conn, &format!("emails WHERE kind = 'charge_failed' AND data LIKE '%{link}%' AND to_address = 'holder2@example.com'"))
                .await,
            1
        );

        update_payment(&db.conn, &ops(), first.id, "tok_ok_5555", Some("5555"), on(day)).await.unwrap();
        let retried = run.retry_now(&ops(), first.id, on(day)).await.unwrap();
        assert_eq!((retried.status, retried.attempts), (RenewalStatus::Executed, 2));
        let order = orders(&db).find(retried.charge_order_no.as_deref().unwrap()).await.unwrap().unwrap();
        assert_eq!(order.payment_status, orders::PaymentStatus::Paid, "the same order, now paid");
        let outcomes: Vec<bool> = gateway
            .charges()
            .await
            .unwrap()
            .iter()
            .map(|c| matches!(c.outcome, ChargeOutcome::Approved { .. }))
            .collect();
        assert_eq!(outcomes, [false, true]);
        let pending =
            renewals_of(&db.conn, Some(&customer_no), None, Some(RenewalStatus::Pending)).await.unwrap();
        assert_eq!(pending.len(), 1, "the next cycle");
        assert_eq!(pending[0].payment_card.as_deref(), Some("5555"), "the new card carries over");
    }
}

#[tokio::test]
async fn r9_automatic_retries_run_on_the_configured_days() {
    for db in test_support::databases().await {
        let (first, _, _) = created(&db, 3, Some("tok_decline_x")).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(
            &db,
            gateway.clone(),
            RenewalSettings { retry_days: vec![3, 5], ..RenewalSettings::default() },
        );
        let day = first.deduct_date;
        let plus = |n| day.checked_add_days(Days::new(n)).unwrap();

        run.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!(find_renewal(&db.conn, first.id).await.unwrap().unwrap().next_retry_on, Some(plus(3)));
        assert_eq!(count(&db.conn, "follow_ups").await, 0, "R17: retries are left; nobody is asked yet");
        assert_eq!(run.run(Due::Retries, plus(2), on(plus(2))).await.unwrap(), ChargeSummary::default());
        assert_eq!(run.run(Due::Retries, plus(3), on(plus(3))).await.unwrap().declined, 1, "{}", db.label());
        let again = find_renewal(&db.conn, first.id).await.unwrap().unwrap();
        assert_eq!(
            (again.attempts, again.next_retry_on),
            (2, Some(plus(5))),
            "days count from the first failure"
        );

        update_payment(&db.conn, &ops(), first.id, "tok_ok_new", None, on(plus(4))).await.unwrap();
        assert_eq!(run.run(Due::Retries, plus(5), on(plus(5))).await.unwrap().charged, 1);
        assert_eq!(find_renewal(&db.conn, first.id).await.unwrap().unwrap().status, RenewalStatus::Executed);
        assert_eq!(gateway.charges().await.unwrap().len(), 3);
    }
}

/// The simulated gateway whose lookups fail while `blind` is above zero: a lost answer stays unknown.
#[derive(Clone)]
struct Forgetful {
    inner: SimulatedGateway,
    blind: Arc<AtomicUsize>,
}

impl PaymentGateway for Forgetful {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        self.inner.charge(request).await
    }

    async fn lookup(&self, key: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        if self.blind.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(GatewayError::Timeout);
        }
        self.inner.lookup(key).await
    }

    async fn refund(
        &self,
        request: &payments::RefundRequest,
    ) -> Result<payments::RefundOutcome, GatewayError> {
        self.inner.refund(request).await
    }

    async fn lookup_refund(&self, key: &str) -> Result<Option<payments::RefundOutcome>, GatewayError> {
        self.inner.lookup_refund(key).await
    }
}

#[tokio::test]
async fn r9_a_lost_answer_is_reconciled_before_anything_else_touches_the_renewal() {
    for db in test_support::databases().await {
        let (first, _, _) = created(&db, 4, Some("tok_timeout_1")).await;
        let gateway = Forgetful {
            inner: SimulatedGateway::new(db.conn.clone(), Duration::ZERO),
            blind: Arc::new(AtomicUsize::new(1)),
        };
        let settings = RenewalSettings { lease_secs: 1, ..RenewalSettings::default() };
        let run = runner(&db, gateway.clone(), settings.clone());
        let day = first.deduct_date;

        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap().unknown, 1, "{}", db.label());
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'UNKNOWN'").await, 1);
        assert_eq!(gateway.inner.approved_count().await.unwrap(), 1, "charged, but the answer was lost");
        for err in [
            stop_renewal(&db.conn, &ops(), first.id, on(day)).await.unwrap_err(),
            update_payment(&db.conn, &ops(), first.id, "tok_ok_other", None, on(day)).await.unwrap_err(),
        ] {
            assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
        }

        tokio::time::sleep(Duration::from_millis(1100)).await; // the first runner's claim runs out
        // The lease has run out, but the open intent still guards the renewal until it is reconciled.
        assert_eq!(
            stop_renewal(&db.conn, &ops(), first.id, on(day)).await.unwrap_err().code(),
            ErrorCode::Conflict
        );
        let next = runner(&db, gateway.clone(), settings);
        assert_eq!(next.run(Due::Scheduled, day, on(day)).await.unwrap().charged, 1);
        assert_eq!(
            gateway.inner.charges().await.unwrap().len(),
            1,
            "settled from the lookup, not charged again"
        );
        assert_eq!(find_renewal(&db.conn, first.id).await.unwrap().unwrap().status, RenewalStatus::Executed);
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'APPROVED'").await, 1);
    }
}

#[tokio::test]
async fn r9_transient_errors_charge_nothing_and_missing_cards_fail_with_their_reason() {
    for db in test_support::databases().await {
        let (flaky, _, _) = created(&db, 5, Some("tok_error_1")).await;
        let (no_card, _, _) = created(&db, 6, None).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(&db, gateway.clone(), RenewalSettings::default());
        let day = flaky.deduct_date.max(no_card.deduct_date);

        let summary = run.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!((summary.errors, summary.declined), (1, 1), "{}", db.label());
        let flaky = find_renewal(&db.conn, flaky.id).await.unwrap().unwrap();
        assert_eq!(flaky.status, RenewalStatus::Pending, "nothing was charged; it is tried again later");
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'ERROR'").await, 1);
        let no_card = find_renewal(&db.conn, no_card.id).await.unwrap().unwrap();
        assert_eq!(no_card.status, RenewalStatus::Failed);
        assert_eq!(no_card.failure_reason.as_deref(), Some("NO_PAYMENT_METHOD"));
        let subject =
            format!("follow_ups WHERE kind = 'NO_PAYMENT_METHOD' AND subject = 'renewal:{}'", no_card.id);
        assert_eq!(count(&db.conn, &subject).await, 1, "R17: the payer must add a card");
        assert_eq!(count(&db.conn, "follow_ups").await, 1, "a transient error opens none");
        assert!(
            gateway.charges().await.unwrap().is_empty(),
            "no card, no gateway call; a transient error charges nothing"
        );
        // The transient one waits out its back-off: the same run time claims nothing.
        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap(), ChargeSummary::default());
    }
}

async fn seeded(db: &TestDb, n: usize, count: usize, latency: Duration) -> (NaiveDate, SimulatedGateway) {
    let (customer_no, account) = holder(db, n).await;
    let account = Account::parse(&account).unwrap();
    let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
    let seed = bulk::Seed {
        customer_no: &customer_no,
        account: Some(&account),
        // The digital pass: a PERIOD product, so a thousand charges of one holder extend it by plain months.
        promotion_code: "KC24010002",
        count,
        deduct_date: day,
        payment_token: Some("tok_ok_bulk"),
    };
    bulk::seed_due(&db.conn, seed, at()).await.unwrap();
    (day, SimulatedGateway::new(db.conn.clone(), latency))
}

async fn assert_charged_once(gateway: &SimulatedGateway, expected: usize, label: &str) {
    let charges = gateway.charges().await.unwrap();
    let renewals: HashSet<String> =
        charges.iter().map(|c| c.idempotency_key.rsplit_once('-').unwrap().0.to_owned()).collect();
    assert_eq!(charges.len(), expected, "{label}: one charge per renewal");
    assert_eq!(renewals.len(), expected, "{label}: no renewal charged twice");
}

#[tokio::test]
async fn r9_several_runners_charge_each_renewal_exactly_once() {
    for db in test_support::databases().await {
        const RENEWALS: usize = 1500;
        let (day, gateway) = seeded(&db, 7, RENEWALS, Duration::from_millis(1)).await;
        let settings = RenewalSettings { batch: 50, concurrency: 8, ..RenewalSettings::default() };
        let mut runners = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let run = runner(&db, gateway.clone(), settings.clone());
            runners.spawn(async move { run.run(Due::Scheduled, day, on(day)).await.unwrap() });
        }
        let summaries = runners.join_all().await;
        let charged: u64 = summaries.iter().map(|s| s.charged).sum();
        assert_eq!(charged, RENEWALS as u64, "{}: {summaries:?}", db.label());
        assert!(summaries.iter().filter(|s| s.charged > 0).count() > 1, "the runners shared the work");
        assert_charged_once(&gateway, RENEWALS, db.label()).await;
        assert_eq!(count(&db.conn, "renewals WHERE renew_status = 2").await, RENEWALS as i64);
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'APPROVED'").await, RENEWALS as i64);
    }
}

#[tokio::test]
async fn r9_a_runner_killed_half_way_and_restarted_charges_nothing_twice() {
    for db in test_support::databases().await {
        const RENEWALS: usize = 300;
        let (day, gateway) = seeded(&db, 8, RENEWALS, Duration::from_millis(20)).await;
        let settings =
            RenewalSettings { batch: 40, concurrency: 16, lease_secs: 1, ..RenewalSettings::default() };
        let doomed = runner(&db, gateway.clone(), settings.clone());
        let task = tokio::spawn(async move { doomed.run(Due::Scheduled, day, on(day)).await });
        // Killed as soon as the first charges have gone out.
        for _ in 0..1000 {
            if !gateway.charges().await.unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        let half = gateway.charges().await.unwrap().len();
        assert!(half > 0 && half < RENEWALS, "{}: killed half-way ({half} charged)", db.label());

        tokio::time::sleep(Duration::from_millis(1100)).await; // its claims run out
        let summary = runner(&db, gateway.clone(), settings).run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!(summary.unknown + summary.errors, 0, "{summary:?}");
        assert_charged_once(&gateway, RENEWALS, db.label()).await;
        assert_eq!(count(&db.conn, "renewals WHERE renew_status = 2").await, RENEWALS as i64);
    }
}

/// Issue #14: retries of one renewal are bounded per business day (`renewals.max_attempts_per_day`,
/// counting the day's scheduled charge), so a member cannot call the gateway without limit; the next day
/// the retries are open again.
#[tokio::test]
async fn r9_retries_of_one_renewal_are_limited_per_day() {
    for db in test_support::databases().await {
        let (first, _, _) = created(&db, 3, Some("tok_decline_0003")).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let settings = RenewalSettings { max_attempts_per_day: 3, ..RenewalSettings::default() };
        let run = runner(&db, gateway.clone(), settings);
        let day = first.deduct_date;
        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap().declined, 1, "{}", db.label());
        for _ in 0..2 {
            let retried = run.retry_now(&ops(), first.id, on(day)).await.unwrap();
            assert_eq!(retried.status, RenewalStatus::Failed);
        }
        let err = run.retry_now(&ops(), first.id, on(day)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{}: {err}", db.label());
        assert!(err.to_string().contains("3 times today"), "{err}");
        assert_eq!(gateway.charges().await.unwrap().len(), 3, "the refused retry reached no gateway");
        let next_day = day + chrono::Duration::days(1);
        assert_eq!(
            run.retry_now(&ops(), first.id, on(next_day)).await.unwrap().status,
            RenewalStatus::Failed
        );
        assert_eq!(gateway.charges().await.unwrap().len(), 4);
    }
}
