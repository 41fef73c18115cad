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
//! This crate writes other domains' tables with SQL of its own for speed (COPY and set-based merges), the
//! one place that does; the rules it applies are the domains' own functions (R3 dates from
//! `entitlements::rules`, R5 from `renewals`).

pub mod anonymize;
pub mod export;
pub mod generate;
mod kinds;
mod parse;
mod rejects;
mod source;
mod stage;

pub use rejects::Rejects;

use chrono::{DateTime, NaiveDate, Utc};
use platform_core::BusinessCalendar;
use sea_orm::DatabaseConnection;
use std::collections::HashSet;
use std::io::Read;

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

/// Imports `input` as `kind` into `db`, writing refused rows to `rejects` and reporting after each batch.
pub async fn import<R: Read>(
    db: &DatabaseConnection,
    kind: Kind,
    input: R,
    options: &Options,
    rejects: &mut Rejects,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, ImportError> {
    match kind {
        Kind::Customers => run(db, &kinds::customers::Customers, input, options, rejects, progress).await,
        Kind::MemberCustomers => {
            run(db, &kinds::member_customers::MemberCustomers, input, options, rejects, progress).await
        }
        Kind::MemberProfiles => {
            run(db, &kinds::member_profiles::MemberProfiles, input, options, rejects, progress).await
        }
        Kind::Issues => run(db, &kinds::issues::Issues, input, options, rejects, progress).await,
        Kind::Items => run(db, &kinds::items::Items, input, options, rejects, progress).await,
        Kind::Promotions => run(db, &kinds::promotions::Promotions, input, options, rejects, progress).await,
        Kind::EntitlementsErp => {
            let loader = kinds::entitlements_erp::EntitlementsErp::load(db).await?;
            run(db, &loader, input, options, rejects, progress).await
        }
        Kind::RenewalsErp => {
            run(db, &kinds::renewals_erp::RenewalsErp, input, options, rejects, progress).await
        }
        Kind::SubscriptionChanges => {
            run(db, &kinds::subscription_changes::SubscriptionChanges, input, options, rejects, progress)
                .await
        }
        Kind::TemporaryEntitlements => {
            run(db, &kinds::temporary_entitlements::TemporaryEntitlements, input, options, rejects, progress)
                .await
        }
        Kind::DigitalEntitlements => {
            run(db, &kinds::digital_entitlements::DigitalEntitlements, input, options, rejects, progress)
                .await
        }
        Kind::AppEntitlements => {
            run(db, &kinds::app_entitlements::AppEntitlements, input, options, rejects, progress).await
        }
        Kind::Orders => run(db, &kinds::orders::Orders, input, options, rejects, progress).await,
        Kind::Shipments => run(db, &kinds::shipments::Shipments, input, options, rejects, progress).await,
    }
}

async fn run<L: Loader, R: Read>(
    db: &DatabaseConnection,
    loader: &L,
    input: R,
    options: &Options,
    rejects: &mut Rejects,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, ImportError> {
    let mut source = source::Source::open(input, options.encoding, loader.columns())?;
    rejects.start(source.header().names());
    let batch_size = options.batch.max(1);
    let mut summary = Summary::default();
    let mut batch = Batch::default();
    // The groups seen so far (promotions): a group's lines must come together.
    let mut groups: HashSet<String> = HashSet::new();
    loop {
        let record = match source.next_record() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(ImportError::Malformed { line, message }) => {
                // Everything before the bad line lands (the pending batch too), and the caller learns
                // what did and where to resume.
                batch.flush(db, loader, options, rejects, &mut summary).await?;
                progress(Progress { summary, bytes: source.bytes_read() });
                rejects.finish()?;
                return Err(ImportError::Stopped { line, message, committed: summary });
            }
            Err(other) => return Err(other),
        };
        summary.read += 1;
        match loader.parse(source.header(), &record, options) {
            Ok(parsed) => {
                summary.skipped += parsed.skipped;
                for reason in parsed.partial_rejects {
                    summary.rejected += 1;
                    rejects.write(record.line, &reason, &record.fields)?;
                }
                let keys: Vec<String> = parsed.rows.iter().flat_map(Keyed::keys).collect();
                let group = parsed.rows.first().and_then(Keyed::group).map(str::to_owned);
                if let Some(group) = &group {
                    let last = batch.rows.last().and_then(|(_, r)| r.group());
                    if last != Some(group.as_str()) && !groups.insert(group.clone()) {
                        summary.rejected += 1;
                        let reason =
                            format!("the lines of {group} must come together; this one comes after others");
                        rejects.write(record.line, &reason, &record.fields)?;
                        continue;
                    }
                }
                let same_group =
                    group.is_some() && batch.rows.last().and_then(|(_, r)| r.group()) == group.as_deref();
                if keys.iter().any(|k| batch.keys.contains(k))
                    || (batch.rows.len() >= batch_size && !same_group)
                {
                    batch.flush(db, loader, options, rejects, &mut summary).await?;
                    progress(Progress { summary, bytes: source.bytes_read() });
                }
                let line = record.line;
                if !parsed.rows.is_empty() {
                    batch.records.push(record);
                }
                batch.keys.extend(keys);
                batch.rows.extend(parsed.rows.into_iter().map(|row| (line, row)));
            }
            Err(reason) => {
                summary.rejected += 1;
                rejects.write(record.line, &reason, &record.fields)?;
            }
        }
    }
    batch.flush(db, loader, options, rejects, &mut summary).await?;
    progress(Progress { summary, bytes: source.bytes_read() });
    rejects.finish()?;
    Ok(summary)
}

/// The rows waiting to be merged, with their records for the rejects file.
struct Batch<T> {
    rows: Vec<(u64, T)>,
    records: Vec<source::Record>,
    keys: HashSet<String>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch { rows: Vec::new(), records: Vec::new(), keys: HashSet::new() }
    }
}

impl<T: Send> Batch<T> {
    async fn flush<L: Loader<Row = T>>(
        &mut self,
        db: &DatabaseConnection,
        loader: &L,
        options: &Options,
        rejects: &mut Rejects,
        summary: &mut Summary,
    ) -> Result<(), ImportError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let outcome = loader.merge(db, std::mem::take(&mut self.rows), options).await?;
        summary.add(&outcome);
        for (line, reason) in &outcome.rejects {
            summary.rejected += 1;
            match self.records.binary_search_by_key(line, |r| r.line) {
                Ok(at) => rejects.write(*line, reason, &self.records[at].fields)?,
                Err(_) => rejects.write(*line, reason, &csv::StringRecord::new())?,
            }
        }
        self.records.clear();
        self.keys.clear();
        Ok(())
    }
}
