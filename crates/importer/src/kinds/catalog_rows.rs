//! What the `items`, `promotions` and `issues` kinds share: the ERP's category and status words, and a batch
//! written through the catalog's own writer (`catalog::admin`, R18's validation) in one transaction.

use crate::{ImportError, Options, Outcome};
use catalog::admin::Written;
use catalog::{CatalogError, Category, Item, PromotionDefinition, Status};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use std::collections::HashSet;

/// The ERP's category, in English or as seed 004 writes it.
pub(crate) fn category(raw: &str) -> Result<Category, String> {
    Ok(match raw.trim().to_uppercase().as_str() {
        "MAGAZINE" | "雜誌" => Category::Magazine,
        "DIGITAL" | "數位" => Category::Digital,
        "BOOK" | "書" => Category::Book,
        "EVENT" | "活動" | "活動(票)" => Category::Event,
        "GIFT" | "贈品" | "聯賣" | "贈品/聯賣" => Category::Gift,
        other => return Err(format!("category: {other:?} is not MAGAZINE, DIGITAL, BOOK, EVENT or GIFT")),
    })
}

/// `Active` / `Inactive` (any case); empty is Active.
pub(crate) fn status(column: &str, raw: Option<&str>) -> Result<Status, String> {
    match raw.map(str::to_uppercase).as_deref() {
        None | Some("ACTIVE") => Ok(Status::Active),
        Some("INACTIVE") => Ok(Status::Inactive),
        Some(other) => Err(format!("{column}: {other:?} is neither Active nor Inactive")),
    }
}

/// Rows of a batch below which it is not split in two.
const HALVES_FROM: usize = 2000;

/// What a catalog batch writes through `catalog::admin`.
#[derive(Clone, Copy)]
pub(crate) enum Rows<'a> {
    /// Items; for calendar issues (`issues: true`) R3's estimated dates are corrected after.
    Items { items: &'a [Item], issues: bool },
    /// Whole promotions.
    Promotions(&'a [PromotionDefinition]),
}

impl<'a> Rows<'a> {
    fn len(self) -> usize {
        match self {
            Rows::Items { items, .. } => items.len(),
            Rows::Promotions(definitions) => definitions.len(),
        }
    }

    fn split_at(self, at: usize) -> (Rows<'a>, Rows<'a>) {
        match self {
            Rows::Items { items, issues } => {
                let (a, b) = items.split_at(at);
                (Rows::Items { items: a, issues }, Rows::Items { items: b, issues })
            }
            Rows::Promotions(definitions) => {
                let (a, b) = definitions.split_at(at);
                (Rows::Promotions(a), Rows::Promotions(b))
            }
        }
    }

    async fn write(self, txn: &DatabaseTransaction, at: DateTime<Utc>) -> Result<Written, CatalogError> {
        match self {
            Rows::Promotions(definitions) => catalog::admin::upsert_promotions(txn, definitions, at).await,
            Rows::Items { items, issues } => {
                let written = catalog::admin::upsert_items(txn, items, at).await?;
                if issues {
                    let refused: HashSet<usize> = written.refused.iter().map(|r| r.index).collect();
                    let extended: Vec<String> = items
                        .iter()
                        .enumerate()
                        .filter(|(index, _)| !refused.contains(index))
                        .filter_map(|(_, i)| i.product_code.clone())
                        .collect::<HashSet<_>>()
                        .into_iter()
                        .collect();
                    entitlements::calendar::correct_estimates(txn, &extended, at).await?;
                }
                Ok(written)
            }
        }
    }
}

/// Writes one batch of `rows` (rolled back on a dry run); `lines_of[index]` are the file lines of row
/// `index`, all rejected when the row is refused. On PostgreSQL a large batch is written as two halves at
/// once, each in its own transaction on its own connection, so that the server's per-row work (index
/// upkeep, foreign keys, events) uses two cores; the rows of a batch never depend on each other (no two
/// share a key) unless `linked` says they do. A half that fails leaves the other committed, which a re-run
/// reports as unchanged.
pub(crate) async fn merge(
    db: &DatabaseConnection,
    options: &Options,
    linked: bool,
    rows: Rows<'_>,
    lines_of: &[Vec<u64>],
) -> Result<Outcome, ImportError> {
    let halves =
        !linked && db.get_database_backend() == sea_orm::DbBackend::Postgres && rows.len() >= HALVES_FROM;
    let split = if halves { rows.len() / 2 } else { rows.len() };
    let (first, second) = rows.split_at(split);
    let (a, b) = tokio::join!(write_part(db, options, first), write_part(db, options, second));
    let mut outcome = Outcome::default();
    for (offset, written) in [(0, a?), (split, b?)] {
        for refusal in &written.refused {
            for line in lines_of.get(offset + refusal.index).into_iter().flatten() {
                outcome.rejects.push((*line, format!("{}: {}", refusal.field, refusal.message)));
            }
        }
        // Counted as the catalog counts them: items, or promotions (which span one line per item).
        outcome.inserted += written.inserted;
        outcome.updated += written.updated;
        outcome.unchanged += written.unchanged;
    }
    Ok(outcome)
}

async fn write_part(
    db: &DatabaseConnection,
    options: &Options,
    rows: Rows<'_>,
) -> Result<Written, ImportError> {
    if rows.len() == 0 {
        return Ok(Written::default());
    }
    let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
    let written = rows.write(&txn, options.at).await.map_err(anyhow::Error::new)?;
    if options.dry_run {
        txn.rollback().await.map_err(anyhow::Error::new)?;
    } else {
        txn.commit().await.map_err(anyhow::Error::new)?;
    }
    Ok(written)
}
