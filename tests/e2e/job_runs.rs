//! Job runs that stop half-way (issue #15 fault 2): the run records what it did process, not 0.

use members::{Change, CustomerInput};
use platform_core::Settings;
use sea_orm::{ConnectionTrait, DbBackend};
use std::sync::Arc;
use test_support::count;

/// Makes every claim of the charge run fail once ten renewals are charged, as a database that goes away
/// mid-run would.
async fn fail_claims_after_ten(db: &test_support::TestDb) {
    let statements: &[&str] = match db.backend() {
        DbBackend::Postgres => &[
            "CREATE FUNCTION stop_claims() RETURNS trigger AS $$ BEGIN
               IF NEW.lease_owner IS NOT NULL
                  AND (SELECT count(*) FROM renewal_charges WHERE status = 'APPROVED') >= 10
               THEN RAISE EXCEPTION 'the database went away'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER stop_claims BEFORE UPDATE ON renewals FOR EACH ROW EXECUTE FUNCTION stop_claims()",
        ],
        _ => &["CREATE TRIGGER stop_claims BEFORE UPDATE OF lease_owner ON renewals
                WHEN NEW.lease_owner IS NOT NULL
                 AND (SELECT count(*) FROM renewal_charges WHERE status = 'APPROVED') >= 10
                BEGIN SELECT RAISE(ABORT, 'the database went away'); END"],
    };
    for sql in statements {
        db.conn.execute_unprepared(sql).await.unwrap();
    }
}

#[tokio::test]
async fn r13_a_run_that_fails_half_way_records_what_it_processed() {
    for db in test_support::databases().await {
        let today = crate::support::today();
        catalog::demo::load(&db.conn, today).await.unwrap();
        let input = CustomerInput { name: Change::Set("王小明".into()), ..CustomerInput::default() };
        let (customer, _) =
            members::service::upsert_customer(&db.conn, input, chrono::Utc::now()).await.unwrap();
        let seed = ::renewals::bulk::Seed {
            customer_no: &customer.customer_no,
            account: None,
            promotion_code: "GC18080026",
            count: 30,
            deduct_date: today,
            payment_token: Some("tok_ok_4242"),
        };
        ::renewals::bulk::seed_due(&db.conn, seed, chrono::Utc::now()).await.unwrap();
        let mut settings = Settings::default();
        settings.renewals.batch = 10;
        settings.renewals.batches_in_flight = 1;
        let ctx = jobs::JobContext::new(db.conn.clone(), Arc::new(settings)).unwrap();
        fail_claims_after_ten(&db).await;

        let request = jobs::RunRequest { as_of: Some(today), force: false, requested_by: "test".into() };
        let run = jobs::run(&ctx, jobs::JobName::ChargeRenewals, request, chrono::Utc::now()).await.unwrap();
        assert_eq!(run.status, jobs::RunStatus::Failed, "{}: {run:?}", db.label());
        assert!(run.error.as_deref().unwrap_or_default().contains("went away"), "{run:?}");
        assert_eq!(count(&db.conn, "renewal_charges WHERE status = 'APPROVED'").await, 10);
        assert_eq!(run.processed, 10, "{}: the run charged ten before it failed", db.label());
    }
}
