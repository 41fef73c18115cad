//! The inputs of the catalog's admin queries and mutations (R18), and how each becomes the catalog's
//! domain value. Bounded by their validators and the request guard; the rules themselves are the catalog's.

use crate::Date;
use crate::catalog::{BillingCycle, Category, Status};
use crate::catalog_admin::ProductKind;
use crate::error::coded;
use async_graphql::{InputObject, Result};
use platform_core::{ErrorCode, Money};

/// Which items a list holds.
#[derive(InputObject, Default)]
pub(crate) struct ItemFilter {
    /// Only the items of this product.
    #[graphql(validator(max_length = 16))]
    pub(crate) product_code: Option<String>,
    /// Only this category.
    pub(crate) category: Option<Category>,
    /// Only ACTIVE or only INACTIVE ones.
    pub(crate) status: Option<Status>,
    /// Calendar issues only (`true`), or none of them (`false`).
    pub(crate) issues: Option<bool>,
}

/// A product to create or update.
#[derive(InputObject)]
pub(crate) struct ProductInput {
    /// 2–16 letters or digits, e.g. `GCV`.
    #[graphql(validator(max_length = 16))]
    product_code: String,
    /// Display name.
    #[graphql(validator(max_length = 200))]
    name: String,
    /// VOLUME or PERIOD.
    kind: ProductKind,
    /// Delivered digitally (its entitlement waits for a member, R3).
    digital: bool,
    /// The ERP's sub-category of its calendar items.
    #[graphql(validator(max_length = 200))]
    sub_category: Option<String>,
    /// Days between issues (VOLUME; or `cadenceMonths`).
    #[graphql(validator(minimum = 1, maximum = 366))]
    cadence_days: Option<u32>,
    /// Months between issues (VOLUME; or `cadenceDays`).
    #[graphql(validator(minimum = 1, maximum = 12))]
    cadence_months: Option<u32>,
}

impl ProductInput {
    pub(crate) fn into_domain(self) -> Result<::catalog::Product> {
        let cadence = match (self.cadence_days, self.cadence_months) {
            (Some(_), Some(_)) => {
                return Err(coded(
                    ErrorCode::BadUserInput,
                    "cadenceDays: give cadenceDays or cadenceMonths, not both",
                ));
            }
            (Some(days), None) => Some(::catalog::Cadence::Days(days)),
            (None, Some(months)) => Some(::catalog::Cadence::Months(months)),
            (None, None) => None,
        };
        Ok(::catalog::Product {
            product_code: self.product_code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            kind: match self.kind {
                ProductKind::Volume => ::catalog::ProductKind::Volume,
                ProductKind::Period => ::catalog::ProductKind::Period,
            },
            digital: self.digital,
            sub_category: trimmed(self.sub_category),
            cadence,
        })
    }
}

/// An item to create or update.
#[derive(InputObject)]
pub(crate) struct ItemInput {
    /// Item number (料號): 1–32 letters, digits, `-` or `_`.
    #[graphql(validator(max_length = 32))]
    item_no: String,
    /// Display name.
    #[graphql(validator(max_length = 200))]
    name: String,
    /// Category.
    category: Category,
    /// ERP sub-category.
    #[graphql(validator(max_length = 200))]
    sub_category: Option<String>,
    /// The product it entitles to or belongs to.
    #[graphql(validator(max_length = 16))]
    product_code: Option<String>,
    /// Term in issues (a VOLUME product's subscription).
    term_issues: Option<i32>,
    /// Term in months (a PERIOD product's subscription).
    term_months: Option<i32>,
    /// Term in days (a PERIOD product's subscription).
    term_days: Option<i32>,
    /// List price of one unit (定價), TWD.
    list_price: Option<i64>,
    /// ACTIVE (default) or INACTIVE.
    item_status: Option<Status>,
    /// Volume number of a calendar issue.
    mz_volume: Option<i32>,
    /// Publish date of a calendar issue.
    publish_date: Option<Date>,
}

impl ItemInput {
    pub(crate) fn into_domain(self) -> ::catalog::Item {
        ::catalog::Item {
            item_no: self.item_no.trim().to_owned(),
            name: self.name.trim().to_owned(),
            category: self.category.into(),
            sub_category: trimmed(self.sub_category),
            product_code: trimmed(self.product_code),
            term_issues: self.term_issues,
            term_months: self.term_months,
            term_days: self.term_days,
            mz_volume: self.mz_volume,
            publish_date: self.publish_date.map(|d| d.0),
            item_status: self.item_status.map_or(::catalog::Status::Active, Into::into),
            list_price: self.list_price.map(Money::new),
        }
    }
}

/// A promotion to create or replace.
#[derive(InputObject)]
pub(crate) struct PromotionInput {
    /// Promotion code (方案代碼): 1–32 letters, digits, `-` or `_`.
    #[graphql(validator(max_length = 32))]
    promotion_code: String,
    /// Display name.
    #[graphql(validator(max_length = 200))]
    name: String,
    /// The price of the whole promotion, TWD.
    total_amount: i64,
    /// ONE_OFF, MONTHLY or YEARLY (the last two renew: R7).
    billing_cycle: BillingCycle,
    /// The plan its renewals charge; default itself.
    #[graphql(validator(max_length = 32))]
    renewal_promotion_code: Option<String>,
    /// First day on sale (inclusive).
    valid_from: Option<Date>,
    /// Last day on sale (inclusive).
    valid_to: Option<Date>,
    /// ACTIVE (default) or INACTIVE.
    status: Option<Status>,
    /// Its items in order (1–50); R1 splits what is paid over them.
    #[graphql(validator(max_items = 50))]
    items: Vec<PromotionItemInput>,
}

/// One item of a promotion.
#[derive(InputObject)]
pub(crate) struct PromotionItemInput {
    /// The item.
    #[graphql(validator(max_length = 32))]
    item_no: String,
    /// Price of one unit within the promotion, TWD.
    selling_price: i64,
    /// Units (1–999).
    quantity: i32,
}

impl PromotionInput {
    pub(crate) fn into_domain(self) -> ::catalog::PromotionDefinition {
        ::catalog::PromotionDefinition {
            promotion: ::catalog::Promotion {
                promotion_code: self.promotion_code.trim().to_owned(),
                name: self.name.trim().to_owned(),
                total_amount: Money::new(self.total_amount),
                renewal_period: self.billing_cycle.period(),
                renewal_promotion_code: trimmed(self.renewal_promotion_code),
                status: self.status.map_or(::catalog::Status::Active, Into::into),
                valid_from: self.valid_from.map(|d| d.0),
                valid_to: self.valid_to.map(|d| d.0),
                items: Vec::new(),
            },
            items: self
                .items
                .into_iter()
                .map(|i| (i.item_no.trim().to_owned(), Money::new(i.selling_price), i.quantity))
                .collect(),
        }
    }
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}
