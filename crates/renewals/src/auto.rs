//! **R7, automatic renewal creation.** Finds the orders paid in the last `auto_create_window_days` that are
//! bound to a member, have a line of a renewable promotion and have no renewal yet; makes sure their
//! entitlements are computed (R3, a no-op when they are); and creates the renewal from the promotion's plan
//! with `createRenewal`'s rules (R4, R5), copying card, receiver and invoice from the order. Safe to run
//! twice and on several instances: one renewal per order at most (its creation key is unique).

use crate::RenewalsError;
use crate::entity::renewal;
use crate::service::{NewRenewal, create_renewal};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::BusinessCalendar;
use platform_core::settings::RenewalSettings;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;

/// Orders checked per query for existing renewals.
const CHUNK: usize = 500;

/// What a creation run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreationSummary {
    /// Renewals created (or merged into a pending one, R4).
    pub created: u64,
    /// Orders whose renewal could not be created (logged with the reason).
    pub failed: u64,
}

/// Runs R7 as of business date `as_of`.
pub async fn create_due(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    settings: &RenewalSettings,
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<CreationSummary, RenewalsError> {
    let since_day =
        as_of.checked_sub_days(Days::new(u64::from(settings.auto_create_window_days))).unwrap_or(as_of);
    let renewable = catalog::service::renewable_promotion_codes(db).await?;
    let candidates =
        orders::service::renewal_candidates(db, calendar.start_of(since_day), &renewable).await?;
    let renewable: HashSet<String> = renewable.into_iter().collect();
    let mut summary = CreationSummary::default();
    for chunk in candidates.chunks(CHUNK) {
        let done: HashSet<String> = renewal::Entity::find()
            .select_only()
            .column(renewal::Column::OriginOrderNo)
            .filter(renewal::Column::OriginOrderNo.is_in(chunk.iter().map(String::as_str)))
            .into_tuple::<Option<String>>()
            .all(db)
            .await?
            .into_iter()
            .flatten()
            .collect();
        for order_no in chunk.iter().filter(|no| !done.contains(*no)) {
            match create_one(db, calendar, &renewable, order_no, at).await {
                Ok(true) => summary.created += 1,
                Ok(false) => {}
                // Created meanwhile by another instance.
                Err(RenewalsError::Conflict(_)) => {}
                Err(err) => {
                    tracing::warn!(order = %order_no, error = %format!("{err:#}"), "no renewal created");
                    summary.failed += 1;
                }
            }
        }
    }
    Ok(summary)
}

async fn create_one(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    renewable: &HashSet<String>,
    order_no: &str,
    at: DateTime<Utc>,
) -> Result<bool, RenewalsError> {
    let Some(order) = orders::service::find_order(db, order_no).await? else { return Ok(false) };
    let Some(promotion_code) =
        order.lines.iter().filter_map(|l| l.promotion_code.clone()).find(|code| renewable.contains(code))
    else {
        return Ok(false);
    };
    let granted = entitlements::grant::grant_order(db, calendar, order_no, at).await?;
    if granted.pending_member > 0 {
        return Ok(false);
    }
    create_renewal(
        db,
        calendar,
        NewRenewal {
            customer_no: order.payer_customer_no.clone(),
            promotion_code,
            origin_order_no: Some(order_no.to_owned()),
            creation_key: Some(format!("order:{order_no}")),
            store: order.source == orders::OrderSource::App,
            ..NewRenewal::default()
        },
        at,
    )
    .await?;
    Ok(true)
}
