//! One module per export. Each parses its records with the seed's column names and merges a batch with
//! the shared staged merge below (renewals, which go through the renewal rules one by one, excepted).

pub(crate) mod app_entitlements;
pub(crate) mod catalog_rows;
pub(crate) mod customers;
pub(crate) mod digital_entitlements;
pub(crate) mod entitlements_erp;
pub(crate) mod issues;
pub(crate) mod items;
pub(crate) mod member_customers;
pub(crate) mod member_profiles;
pub(crate) mod orders;
pub(crate) mod promotions;
pub(crate) mod renewals_erp;
pub(crate) mod shipments;
pub(crate) mod subscription_changes;
pub(crate) mod temporary_entitlements;

use crate::stage::{Cell, StagedRow, Tx};
use crate::{ImportError, Keyed, Options, Outcome};
use platform_core::bulk::{STAGE, StagedMerge};
use sea_orm::DatabaseConnection;

/// A row of a staged kind: its keys and its cells in the order of the kind's staged columns.
pub(crate) struct Staged {
    pub keys: Vec<String>,
    pub cells: Vec<Cell>,
}

impl Keyed for Staged {
    fn keys(&self) -> Vec<String> {
        self.keys.clone()
    }
}

/// Runs a domain's set-based merge of one staged batch ([`StagedMerge`]).
pub(crate) trait RunMerge {
    /// Stages `rows`, checks, upserts, and counts: inserted = valid − existing, updated = changed −
    /// inserted, unchanged = existing − updated.
    async fn run(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError>;

    /// PostgreSQL: the two halves of the batch merge at once on two connections, so that the server's
    /// per-row work (foreign-key checks, index upkeep) uses two cores (four parts measured slower on 2
    /// cores). Only for merges whose rows do not depend on each other. A half that fails leaves the other
    /// committed, which the re-run reports as unchanged.
    async fn run_in_halves(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError>;
}

impl RunMerge for StagedMerge<'_> {
    async fn run(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let rows: Vec<StagedRow> = batch.into_iter().map(|(line, row)| (line, row.cells)).collect();
        let mut tx = Tx::begin(db).await?;
        tx.stage(self.columns, &rows).await?;
        drop(rows);
        for check in self.checks {
            tx.execute(check, &[]).await?;
        }
        let existing = match self.existing {
            Some(sql) => Some(tx.scalar(sql, &[]).await?),
            None => None,
        };
        let at = Cell::At(options.at);
        let mut changed = 0;
        for upsert in self.upserts {
            changed += i64::try_from(tx.execute(upsert, std::slice::from_ref(&at)).await?).unwrap_or(0);
        }
        // Counted after the upserts: an upsert may mark rows too.
        let valid = tx.scalar(&format!("SELECT COUNT(*) FROM {STAGE} WHERE reject IS NULL"), &[]).await?;
        let existing = existing.unwrap_or(valid - changed);
        for statement in self.after {
            tx.execute(statement, std::slice::from_ref(&at)).await?;
        }
        let rejects = tx.rejects().await?;
        tx.finish(options.dry_run).await?;
        let inserted = (valid - existing).max(0);
        let updated = (changed - inserted).max(0);
        Ok(Outcome {
            inserted: count(inserted),
            updated: count(updated),
            unchanged: count(existing - updated),
            rejects,
        })
    }

    async fn run_in_halves(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let mut first = batch;
        let second = first.split_off(first.len() / 2);
        let (first, second) = tokio::join!(self.run(db, first, options), self.run(db, second, options));
        let (mut total, second) = (first?, second?);
        total.inserted += second.inserted;
        total.updated += second.updated;
        total.unchanged += second.unchanged;
        total.rejects.extend(second.rejects);
        Ok(total)
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// What a batch of rows written one by one through a domain function did, each answer `Ok(true)` written,
/// `Ok(false)` as it was, `Err` refused with its reason.
pub(crate) fn counted<E: std::fmt::Display>(
    lines: impl IntoIterator<Item = u64>,
    answers: impl IntoIterator<Item = Result<bool, E>>,
) -> Outcome {
    let mut outcome = Outcome::default();
    for (line, answer) in lines.into_iter().zip(answers) {
        match answer {
            Ok(true) => outcome.updated += 1,
            Ok(false) => outcome.unchanged += 1,
            Err(err) => outcome.rejects.push((line, err.to_string())),
        }
    }
    outcome
}

/// What writing one group of rows (an order, a parcel) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Inserted,
    Updated,
    Unchanged,
}

/// The consecutive rows of `batch` with the same `key` gathered into groups (a group's rows come together in
/// the file and land in one batch, `Keyed::group`): the first row with each later one folded in by `fold`,
/// whose `Err` (the rows disagree) refuses the whole group with that reason. Each group with its lines.
pub(crate) fn gather<R, K: PartialEq>(
    batch: Vec<(u64, R)>,
    key: impl Fn(&R) -> K,
    fold: impl Fn(&mut R, R) -> Result<(), String>,
) -> Vec<(Vec<u64>, Result<R, String>)> {
    let mut groups: Vec<(K, Vec<u64>, Result<R, String>)> = Vec::new();
    for (line, row) in batch {
        let row_key = key(&row);
        match groups.last_mut() {
            Some((group_key, lines, group)) if *group_key == row_key => {
                lines.push(line);
                if let Ok(first) = group
                    && let Err(reason) = fold(first, row)
                {
                    *group = Err(reason);
                }
            }
            _ => groups.push((row_key, vec![line], Ok(row))),
        }
    }
    groups.into_iter().map(|(_, lines, group)| (lines, group)).collect()
}

/// A domain's refusal (any coded error but INTERNAL) as the reason its group's rows are rejected; anything
/// else stops the import (the batch rolled back).
pub(crate) fn refusal<E>(err: E) -> Result<String, ImportError>
where
    E: platform_core::error::HasErrorCode + std::error::Error + Send + Sync + 'static,
{
    if err.code() == platform_core::ErrorCode::Internal {
        return Err(anyhow::Error::new(err).into());
    }
    Ok(err.to_string())
}

/// Counts `answer` once for every row of its group.
pub(crate) fn tally(outcome: &mut Outcome, lines: Vec<u64>, answer: &Result<Written, String>) {
    for line in lines {
        match answer {
            Ok(Written::Inserted) => outcome.inserted += 1,
            Ok(Written::Updated) => outcome.updated += 1,
            Ok(Written::Unchanged) => outcome.unchanged += 1,
            Err(reason) => outcome.rejects.push((line, reason.clone())),
        }
    }
}

/// Ends a batch's transaction: rolled back on a dry run, committed otherwise.
pub(crate) async fn finish(txn: sea_orm::DatabaseTransaction, dry_run: bool) -> Result<(), ImportError> {
    let done = if dry_run { txn.rollback().await } else { txn.commit().await };
    done.map_err(anyhow::Error::new)?;
    Ok(())
}
