//! Imports (R14) and anonymize (R15) against real databases: SQLite always, PostgreSQL when
//! TEST_DATABASE_URL is set. Batches are tiny (3 rows) so that every file spans several transactions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

mod anonymize;
mod app;
mod catalog_kinds;
mod customers;
mod digital;
mod entitlements_erp;
mod export;
mod issues;
mod malformed;
mod members;
mod orders;
mod renewals_erp;
mod shipments;
mod subscription_changes;
mod temporary;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use importer::{Encoding, ImportError, Kind, Options, Rejects, Summary};
use platform_core::BusinessCalendar;
use test_support::TestDb;

/// The cut-over day of the tests.
pub(crate) fn cutover() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

pub(crate) fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap()
}

pub(crate) fn options() -> Options {
    Options {
        dry_run: false,
        batch: 3,
        encoding: Encoding::Utf8,
        as_of: cutover(),
        at: at(),
        calendar: BusinessCalendar::default(),
        renewal_settings: platform_core::settings::RenewalSettings::default(),
        subinventory: "A01".to_owned(),
    }
}

/// Imports `csv` (UTF-8 text) with `options`; the summary (or error) and the rejects file's content.
pub(crate) async fn import_with(
    db: &TestDb,
    kind: Kind,
    bytes: &[u8],
    options: &Options,
) -> (Result<Summary, ImportError>, String) {
    let mut rejects = Rejects::in_memory();
    let result = importer::import(&db.conn, kind, bytes, options, &mut rejects, &mut |_| {}).await;
    (result, rejects.memory_contents())
}

/// Imports `csv` with the test options and expects it to run through.
pub(crate) async fn import(db: &TestDb, kind: Kind, csv: &str) -> (Summary, String) {
    let (result, rejects) = import_with(db, kind, csv.as_bytes(), &options()).await;
    (result.unwrap_or_else(|e| panic!("{} import on {}: {e}", kind.as_str(), db.label())), rejects)
}

/// The demo catalog (products, issue calendar, promotions) as of the cut-over.
pub(crate) async fn demo(db: &TestDb) {
    catalog::demo::load(&db.conn, cutover()).await.unwrap();
}

pub(crate) fn summary(read: u64, inserted: u64, updated: u64, unchanged: u64, rejected: u64) -> Summary {
    Summary { read, inserted, updated, unchanged, rejected, skipped: 0 }
}

/// One text value of the first row of `sql`.
pub(crate) async fn text(db: &TestDb, sql: &str) -> Option<String> {
    use sea_orm::ConnectionTrait;
    let row = db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(db.backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))?;
    row.try_get_by_index::<Option<String>>(0).unwrap()
}

mod examples {
    //! The sample files of `examples/import`, in cut-over order, land without a reject — twice.

    use crate::{demo, import};
    use importer::Kind;
    use test_support::databases;

    #[tokio::test]
    async fn r14_the_example_files_import_cleanly_and_rerun_as_unchanged() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
        for db in databases().await {
            demo(&db).await;
            for round in 0..2 {
                for kind in Kind::ALL {
                    let file =
                        std::fs::read_to_string(folder.join(format!("{}.csv", kind.as_str()))).unwrap();
                    let (summary, rejects) = import(&db, kind, &file).await;
                    assert_eq!(summary.rejected, 0, "{} {}: {rejects}", kind.as_str(), db.label());
                    assert!(summary.read > 0);
                    if round == 1 {
                        assert_eq!(
                            summary.inserted + summary.updated,
                            0,
                            "{} re-run: {summary:?}",
                            kind.as_str()
                        );
                    }
                }
            }
        }
    }
}
