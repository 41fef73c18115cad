//! The import loop: records streamed from the file, parsed by their kind, gathered into batches (the rows
//! of one key together), merged batch by batch, refused rows written to the rejects file.

use crate::{ImportError, Keyed, Kind, Loader, Options, Progress, Rejects, Summary, kinds};
use sea_orm::DatabaseConnection;
use std::collections::HashSet;
use std::io::Read;

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
    let mut source = crate::source::Source::open(input, options.encoding, loader.columns())?;
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
    records: Vec<crate::source::Record>,
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
