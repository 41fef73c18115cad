//! Bulk statements on renewals: the mask of an anonymized copy ([`MASKS`]), and the seeding of due
//! renewals, for the charge benchmark and the no-double-charge tests: `n` PENDING
//! renewals of one plan for one payer, all due on `deduct_date`, written in multi-row inserts. The rows are
//! what `createRenewal` would write, minus the R4 comparison (which would merge them into one).

use crate::entity::renewal;
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, NaiveDate, Utc};
use members::{Account, service as members_service};
use platform_core::bulk::Mask;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

/// Rows per insert: well under SQLite's bind-parameter limit for this table.
const CHUNK: usize = 1000;

/// What to seed.
#[derive(Debug, Clone)]
pub struct Seed<'a> {
    /// The payer.
    pub customer_no: &'a str,
    /// The member, if any.
    pub account: Option<&'a Account>,
    /// The plan.
    pub promotion_code: &'a str,
    /// How many renewals.
    pub count: usize,
    /// Their deduct date.
    pub deduct_date: NaiveDate,
    /// Their gateway token.
    pub payment_token: Option<&'a str>,
}

/// Inserts the renewals of `seed`; returns how many.
pub async fn seed_due(
    db: &DatabaseConnection,
    seed: Seed<'_>,
    at: DateTime<Utc>,
) -> Result<usize, RenewalsError> {
    let customer_id = members_service::customer_id(db, seed.customer_no)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no customer {}", seed.customer_no))?;
    let member_id = match seed.account {
        Some(account) => members_service::member_id(db, account).await?,
        None => None,
    };
    let plan = catalog::service::find_promotion(db, seed.promotion_code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no promotion {}", seed.promotion_code))?;
    let mut codes: Vec<String> = plan.items.iter().filter_map(|i| i.item.product_code.clone()).collect();
    codes.sort_unstable();
    codes.dedup();
    let row = renewal::ActiveModel {
        customer_id: Set(customer_id),
        member_id: Set(member_id),
        promotion_code: Set(plan.promotion_code.clone()),
        product_codes: Set(codes.into_iter().collect()),
        product_name: Set(Some(plan.name.clone())),
        deduct_date: Set(seed.deduct_date),
        deduct_price: Set(plan.total_amount),
        shipping_fee: Set(platform_core::Money::ZERO),
        payment: Set("信用卡".to_owned()),
        payment_method: Set(Some("CREDIT_CARD".to_owned())),
        payment_card: Set(Some("4242".to_owned())),
        payment_token: Set(seed.payment_token.map(platform_core::tokens::Token::new)),
        renew_status: Set(i16::from(RenewalStatus::Pending.code())),
        cycle: Set(1),
        source: Set("AUTO".to_owned()),
        attempts: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    let mut left = seed.count;
    while left > 0 {
        let n = left.min(CHUNK);
        renewal::Entity::insert_many(std::iter::repeat_n(row.clone(), n)).exec_without_returning(db).await?;
        left -= n;
    }
    Ok(seed.count)
}

/// A renewal's card token, receiver and invoice go in an anonymized copy; its plan and dates stay.
pub const MASKS: [Mask; 1] = [Mask {
    table: "renewals",
    sql: "UPDATE renewals SET payment_token = NULL, receiver = NULL, invoice = NULL",
}];
