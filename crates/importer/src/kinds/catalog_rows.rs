//! What the `items` and `promotions` kinds share: the ERP's category and status words, and a batch
//! written through the catalog's own writer (`catalog::admin`, R18's validation) in one transaction.

use crate::{ImportError, Options, Outcome};
use catalog::admin::Written;
use catalog::{Category, Status};
use sea_orm::{DatabaseConnection, DatabaseTransaction};

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

/// Writes one batch with `write` in a transaction (rolled back on a dry run); `lines_of[index]` are the
/// file lines of the batch's row `index`, all rejected when the row is refused.
pub(crate) async fn merge<F>(
    db: &DatabaseConnection,
    options: &Options,
    lines_of: &[Vec<u64>],
    write: F,
) -> Result<Outcome, ImportError>
where
    F: AsyncFnOnce(&DatabaseTransaction) -> Result<Written, catalog::CatalogError>,
{
    let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
    let written = write(&txn).await.map_err(anyhow::Error::new)?;
    if options.dry_run {
        txn.rollback().await.map_err(anyhow::Error::new)?;
    } else {
        txn.commit().await.map_err(anyhow::Error::new)?;
    }
    let mut outcome = Outcome::default();
    for refusal in &written.refused {
        for line in lines_of.get(refusal.index).into_iter().flatten() {
            outcome.rejects.push((*line, format!("{}: {}", refusal.field, refusal.message)));
        }
    }
    // Counted as the catalog counts them: items, or promotions (which span one line per item).
    (outcome.inserted, outcome.updated, outcome.unchanged) =
        (written.inserted, written.updated, written.unchanged);
    Ok(outcome)
}
