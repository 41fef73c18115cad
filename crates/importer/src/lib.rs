//! `importer`: the migration imports of R14 (seed 004's `spreadsheet.py` modes, made an affair of minutes)
//! and the anonymized development copies of R15.
//!
//! An import streams one CSV export (constant memory whatever its size): each record is parsed and checked
//! by its kind, then batches of rows are staged and merged set-based in one transaction per batch
//! ([`stage`]). A row that cannot be imported goes to the rejects file with its line, the reason and its
//! original fields; the good rows of its batch still land. Every kind is an upsert keyed by the legacy key,
//! so a re-run imports nothing twice. A malformed file (header, encoding, field count) stops at once with
//! the line named; the batches before it are committed, and the re-run after the fix skips them as
//! unchanged.
//!
//! The importer parses, stages (COPY on PostgreSQL), collects rejects and orchestrates; the set-based
//! statements that write a domain's tables are that domain's (`members::bulk`, `entitlements::bulk`, the
//! contract in `platform_core::bulk`), and the rules it applies are the domains' own functions (R3 dates
//! from `entitlements::rules`, R5 from `renewals`). The import loop itself is in `run`.

pub mod anonymize;
pub mod export;
pub mod generate;
mod kinds;
mod parse;
mod rejects;
mod run;
mod source;
mod stage;

pub use rejects::Rejects;
pub use run::import;

use chrono::{DateTime, NaiveDate, Utc};
use platform_core::BusinessCalendar;
use sea_orm::DatabaseConnection;

/// The kinds of R14, one per legacy export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// ERP customers (訂戶): inserts the customerNos not there yet (差異化).
    Customers,
    /// ERP 雜誌權益檔: one row per customer, three columns per product.
    EntitlementsErp,
    /// ERP 自動續訂單: renewals, with the seed's defaults.
    RenewalsErp,
    /// TradeVan MEMBER export: members and their profile.
    MemberProfiles,
    /// TradeVan MEMBERSUBNO: member ↔ customer links.
    MemberCustomers,
    /// The issue calendar (magazine items with volume and publish date).
    Issues,
    /// The ERP's 料號: items of every kind (R18).
    Items,
    /// The ERP's 方案: promotions, one line per promotion item (R18).
    Promotions,
    /// The day's subscription changes (R20): SKIP, RESUME, SUSPEND, CANCEL.
    SubscriptionChanges,
    /// 關貿臨時權益: the TradeVan members' digital access still ahead, as R11 temporary grants (R21).
    TemporaryEntitlements,
    /// TradeVan SUBSCRIPTORDL: 全閱讀 subscribers, current and lapsed, as the members' KCW terms (R21).
    DigitalEntitlements,
    /// APP 權益: store subscribers' terms, the current ones with their APP renewal (R21).
    AppEntitlements,
    /// The ERP's order history, under the legacy order numbers (R21).
    Orders,
    /// The ERP's shipping file: parcels of order lines (R21).
    Shipments,
}

impl Kind {
    /// Every kind, in the order a cut-over imports them.
    pub const ALL: [Kind; 14] = [
        Kind::Issues,
        Kind::Items,
        Kind::Promotions,
        Kind::Customers,
        Kind::MemberProfiles,
        Kind::MemberCustomers,
        Kind::TemporaryEntitlements,
        Kind::DigitalEntitlements,
        Kind::AppEntitlements,
        Kind::EntitlementsErp,
        Kind::Orders,
        Kind::Shipments,
        Kind::RenewalsErp,
        Kind::SubscriptionChanges,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::EntitlementsErp => "entitlements-erp",
            Kind::RenewalsErp => "renewals-erp",
            Kind::MemberProfiles => "member-profiles",
            Kind::MemberCustomers => "member-customers",
            Kind::Issues => "issues",
            Kind::Items => "items",
            Kind::Promotions => "promotions",
            Kind::SubscriptionChanges => "subscription-changes",
            Kind::TemporaryEntitlements => "temporary-entitlements",
            Kind::DigitalEntitlements => "digital-entitlements",
            Kind::AppEntitlements => "app-entitlements",
            Kind::Orders => "orders",
            Kind::Shipments => "shipments",
        }
    }

    /// The kind named `raw`.
    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// Input encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 (a BOM is skipped).
    #[default]
    Utf8,
    /// Big5 as Windows writes it (CP950).
    Big5,
}

impl Encoding {
    /// The encoding named `raw`: `utf-8`/`utf8`, `big5`/`cp950`.
    pub fn parse(raw: &str) -> Option<Encoding> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "big5" | "cp950" | "big5-hkscs" => Some(Encoding::Big5),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Big5 => "Big5",
        }
    }

    fn decoder(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            // WHATWG Big5 is a superset of CP950 (with the HKSCS extensions).
            Encoding::Big5 => encoding_rs::BIG5,
        }
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Validate and count, write nothing: every batch is rolled back. Each batch is checked against the
    /// database as it is, so a key repeated across batches counts as inserted each time.
    pub dry_run: bool,
    /// Rows per batch (one transaction each).
    pub batch: usize,
    /// The input's encoding.
    pub encoding: Encoding,
    /// The cut-over business day: statuses are backfilled against it (seed 004 step 5).
    pub as_of: NaiveDate,
    /// When the rows are written.
    pub at: DateTime<Utc>,
    /// The business time zone.
    pub calendar: BusinessCalendar,
    /// The renewal settings the changes' e-mails use (`subscription-changes`).
    pub renewal_settings: platform_core::settings::RenewalSettings,
    /// Where imported order lines are fulfilled (`orders`; setting `orders.subinventory`).
    pub subinventory: String,
}

/// Default rows per batch.
pub const DEFAULT_BATCH: usize = 10_000;

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records read (lines after the header).
    pub read: u64,
    /// Records written new.
    pub inserted: u64,
    /// Records that existed and were changed.
    pub updated: u64,
    /// Records that existed as they are.
    pub unchanged: u64,
    /// Entries in the rejects file.
    pub rejected: u64,
    /// Values the kind skips by rule (e.g. products the ERP export has but the platform does not sell).
    pub skipped: u64,
}

impl Summary {
    fn add(&mut self, outcome: &Outcome) {
        self.inserted += outcome.inserted;
        self.updated += outcome.updated;
        self.unchanged += outcome.unchanged;
    }
}

/// A progress report, after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Counts so far.
    pub summary: Summary,
    /// Bytes of the input consumed.
    pub bytes: u64,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as this kind: wrong header, encoding or field count.
    #[error("line {line}: {message}")]
    Malformed {
        /// The line (1 is the header).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The file turned malformed at `line` after its header: every row before it was merged (committed,
    /// unless a dry run) and `committed` says what that did. Fix the line and re-run the file: the rows
    /// already in report as unchanged.
    #[error("line {line}: {message}")]
    Stopped {
        /// The first line not imported.
        line: u64,
        /// What is wrong with it.
        message: String,
        /// What the lines before it did.
        committed: Summary,
    },
    /// Reading the input or writing the rejects failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The database failed; the batch in flight was rolled back.
    #[error("database: {0}")]
    Database(#[from] sea_orm::sqlx::Error),
    /// Anything else unexpected.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What merging one batch did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows refused by the database checks: (line, reason).
    pub rejects: Vec<(u64, String)>,
}

/// A row parsed by its kind.
pub(crate) struct Parsed<T> {
    /// The records it becomes (zero or more).
    pub rows: Vec<T>,
    /// Values skipped by rule.
    pub skipped: u64,
    /// Parts of the row refused while others land: reasons, reported on the row's line.
    pub partial_rejects: Vec<String>,
}

impl<T> Parsed<T> {
    pub(crate) fn one(row: T) -> Self {
        Parsed { rows: vec![row], skipped: 0, partial_rejects: Vec::new() }
    }
}

/// A parsed row's keys: two rows of one batch must not share one (such rows are merged in separate batches,
/// in order, as if imported one by one).
pub(crate) trait Keyed {
    fn keys(&self) -> Vec<String>;

    /// The group the row belongs to: rows of one group are merged in one batch (a promotion's lines),
    /// and must come together in the file.
    fn group(&self) -> Option<&str> {
        None
    }
}

/// One kind's parsing and merging.
pub(crate) trait Loader {
    /// What one record becomes.
    type Row: Keyed + Send;

    /// The columns of the export.
    fn columns(&self) -> &'static [source::Column];

    /// Parses a record; `Err` is the reason it is rejected.
    fn parse(
        &self,
        header: &source::Header,
        record: &source::Record,
        options: &Options,
    ) -> Result<Parsed<Self::Row>, String>;

    /// Writes a batch of (line, row) and says what happened.
    fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Self::Row)>,
        options: &Options,
    ) -> impl Future<Output = Result<Outcome, ImportError>> + Send;
}
