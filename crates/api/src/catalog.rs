//! The public catalog: `promotion`, `promotions` and `item`. Readable without a token (SPEC §3); retired
//! promotions and items are seen by admins only (R18). The admins' writes are [`crate::catalog_admin`].

use crate::access::{Require, principal};
use crate::error::{coded, from_domain};
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use crate::{ApiState, Date};
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, Enum, InputObject, Object, Result};
use platform_core::ErrorCode;
use std::sync::Arc;

#[derive(Default)]
pub(crate) struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// A promotion (方案) by its code, with its items: the EC's lookup before it splits an order (R1).
    /// `null` when no promotion has that code.
    async fn promotion(&self, ctx: &Context<'_>, promotion_code: String) -> Result<Option<Promotion>> {
        let state = ctx.data::<ApiState>()?;
        let found = state.catalog.promotion(promotion_code.trim()).await.map_err(from_domain)?;
        Ok(found.filter(|p| p.status == ::catalog::Status::Active || is_admin(ctx)).map(Promotion))
    }

    /// Promotions ordered by code, a page at a time (`first` ≤ 100, default 20; `after` is a cursor): those
    /// on sale, or for admins any `filter` asks for (retired ones included).
    #[graphql(
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn promotions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<PromotionFilter>,
    ) -> Result<Connection<OpaqueCursor<String>, Promotion>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<String>>::parse(first, after)?;
        let filter = filter.unwrap_or_default();
        let mut wanted = ::catalog::service::PromotionFilter {
            status: filter.status.map(Into::into),
            renewable: filter.renewable,
        };
        if !is_admin(ctx) {
            wanted.status = Some(::catalog::Status::Active);
        }
        let mut rows = state
            .catalog
            .promotions(wanted, page.after.as_ref().map(|c| c.0.as_str()), page.limit())
            .await
            .map_err(from_domain)?;
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        let mut connection = Connection::new(page.after.is_some(), has_next_page);
        connection.edges.extend(
            rows.into_iter()
                .map(|p| Edge::new(OpaqueCursor(p.promotion_code.clone()), Promotion(Arc::new(p)))),
        );
        Ok(connection)
    }

    /// An item (料號) by its number, calendar issues included. `null` when unknown.
    async fn item(&self, ctx: &Context<'_>, item_no: String) -> Result<Option<Item>> {
        let state = ctx.data::<ApiState>()?;
        let found = state.catalog.item(item_no.trim()).await.map_err(from_domain)?;
        Ok(found.filter(|i| i.item_status == ::catalog::Status::Active || is_admin(ctx)).map(Item))
    }
}

/// Whether the caller is an admin (who sees the retired part of the catalog).
pub(crate) fn is_admin(ctx: &Context<'_>) -> bool {
    principal(ctx).require_admin().is_ok()
}

/// Which promotions a list holds.
#[derive(InputObject, Default)]
pub(crate) struct PromotionFilter {
    /// ACTIVE or INACTIVE (retired; admins only — others always get ACTIVE).
    status: Option<Status>,
    /// Only renewal plans (`true`) or only one-off promotions (`false`).
    renewable: Option<bool>,
}

/// A promotion (方案): items sold together at `totalAmount`.
pub(crate) struct Promotion(pub(crate) Arc<::catalog::Promotion>);

#[Object]
impl Promotion {
    /// Promotion code, e.g. `GC18080026`.
    async fn promotion_code(&self) -> &str {
        &self.0.promotion_code
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Price of the whole promotion in TWD.
    async fn total_amount(&self) -> i64 {
        self.0.total_amount.amount()
    }
    /// Whether buying it creates automatic renewals.
    async fn renewable(&self) -> bool {
        self.0.is_renewable()
    }
    /// How often it renews, when renewable.
    async fn renewal_period(&self) -> Option<RenewalPeriod> {
        self.0.renewal_period.map(Into::into)
    }
    /// ONE_OFF, MONTHLY or YEARLY.
    async fn billing_cycle(&self) -> BillingCycle {
        BillingCycle::of(self.0.renewal_period)
    }
    /// First day it is sold (business time), when it has one.
    async fn valid_from(&self) -> Option<Date> {
        self.0.valid_from.map(Date)
    }
    /// Last day it is sold (business time), when it has one.
    async fn valid_to(&self) -> Option<Date> {
        self.0.valid_to.map(Date)
    }
    /// Its scheduled price changes, newest first (R18). Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn price_changes(&self, ctx: &Context<'_>) -> Result<Vec<crate::catalog_admin::PriceChange>> {
        let state = ctx.data::<ApiState>()?;
        let changes = ::catalog::admin::price_changes_of(&state.db, &self.0.promotion_code)
            .await
            .map_err(from_domain)?;
        Ok(changes.into_iter().map(crate::catalog_admin::PriceChange).collect())
    }
    /// The plan a renewal charges (defaults to this promotion).
    async fn renewal_promotion_code(&self) -> Option<&str> {
        if self.0.is_renewable() {
            Some(self.0.renewal_promotion_code.as_deref().unwrap_or(&self.0.promotion_code))
        } else {
            None
        }
    }
    /// On sale or withdrawn.
    async fn status(&self) -> Status {
        self.0.status.into()
    }
    /// The bundled items in order; R1 splits the paid amount over them.
    async fn promotion_items(&self) -> Vec<PromotionItem> {
        (0..self.0.items.len()).map(|index| PromotionItem { promotion: Arc::clone(&self.0), index }).collect()
    }
}

/// One item of a promotion.
pub(crate) struct PromotionItem {
    promotion: Arc<::catalog::Promotion>,
    index: usize,
}

impl PromotionItem {
    fn get(&self) -> Result<&::catalog::PromotionItem> {
        self.promotion
            .items
            .get(self.index)
            .ok_or_else(|| coded(ErrorCode::Internal, crate::error::INTERNAL_MESSAGE))
    }
}

#[Object]
impl PromotionItem {
    /// Unit price within the promotion, in TWD.
    async fn selling_price(&self) -> Result<i64> {
        Ok(self.get()?.selling_price.amount())
    }
    /// Units.
    async fn quantity(&self) -> Result<i32> {
        Ok(self.get()?.quantity)
    }
    /// The item.
    async fn item(&self) -> Result<Item> {
        Ok(Item(self.get()?.item.clone()))
    }
}

/// An item (料號): a sellable item, a subscription term, or an issue of the calendar.
pub(crate) struct Item(pub(crate) ::catalog::Item);

#[Object]
impl Item {
    /// Item number (料號).
    async fn item_no(&self) -> &str {
        &self.0.item_no
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Category.
    async fn category(&self) -> Category {
        self.0.category.into()
    }
    /// ERP sub-category, e.g. 天下.
    async fn sub_category(&self) -> Option<&str> {
        self.0.sub_category.as_deref()
    }
    /// The product (產品代碼) it entitles to or belongs to.
    async fn product_code(&self) -> Option<&str> {
        self.0.product_code.as_deref()
    }
    /// Term in issues (VOLUME subscriptions).
    async fn term_issues(&self) -> Option<i32> {
        self.0.term_issues
    }
    /// Term in calendar months (PERIOD subscriptions).
    async fn term_months(&self) -> Option<i32> {
        self.0.term_months
    }
    /// Term in days (PERIOD subscriptions).
    async fn term_days(&self) -> Option<i32> {
        self.0.term_days
    }
    /// Volume number of a calendar issue (期數).
    async fn mz_volume(&self) -> Option<i32> {
        self.0.mz_volume
    }
    /// Publish date of a calendar issue (出刊日).
    async fn publish_date(&self) -> Option<Date> {
        self.0.publish_date.map(Date)
    }
    /// On sale or withdrawn.
    async fn item_status(&self) -> Status {
        self.0.item_status.into()
    }
    /// The ERP's list price of one unit (定價), for display; promotions set what is paid.
    async fn list_price(&self) -> Option<i64> {
        self.0.list_price.map(platform_core::Money::amount)
    }
}

/// Item category.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Category {
    /// 雜誌
    Magazine,
    /// 數位
    Digital,
    /// 書
    Book,
    /// 活動(票)
    Event,
    /// 贈品/聯賣
    Gift,
}

impl From<Category> for ::catalog::Category {
    fn from(value: Category) -> Self {
        match value {
            Category::Magazine => ::catalog::Category::Magazine,
            Category::Digital => ::catalog::Category::Digital,
            Category::Book => ::catalog::Category::Book,
            Category::Event => ::catalog::Category::Event,
            Category::Gift => ::catalog::Category::Gift,
        }
    }
}

impl From<::catalog::Category> for Category {
    fn from(value: ::catalog::Category) -> Self {
        match value {
            ::catalog::Category::Magazine => Category::Magazine,
            ::catalog::Category::Digital => Category::Digital,
            ::catalog::Category::Book => Category::Book,
            ::catalog::Category::Event => Category::Event,
            ::catalog::Category::Gift => Category::Gift,
        }
    }
}

/// Whether something can be sold.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// On sale.
    Active,
    /// Withdrawn.
    Inactive,
}

impl From<Status> for ::catalog::Status {
    fn from(value: Status) -> Self {
        match value {
            Status::Active => ::catalog::Status::Active,
            Status::Inactive => ::catalog::Status::Inactive,
        }
    }
}

impl From<::catalog::Status> for Status {
    fn from(value: ::catalog::Status) -> Self {
        match value {
            ::catalog::Status::Active => Status::Active,
            ::catalog::Status::Inactive => Status::Inactive,
        }
    }
}

/// How often a renewable promotion renews.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenewalPeriod {
    /// Every month (notice only before the first cycle).
    Monthly,
    /// Every year.
    Yearly,
}

impl From<::catalog::RenewalPeriod> for RenewalPeriod {
    fn from(value: ::catalog::RenewalPeriod) -> Self {
        match value {
            ::catalog::RenewalPeriod::Monthly => RenewalPeriod::Monthly,
            ::catalog::RenewalPeriod::Yearly => RenewalPeriod::Yearly,
        }
    }
}

/// How a promotion is billed.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BillingCycle {
    /// Bought once; no renewal.
    OneOff,
    /// Renews every month.
    Monthly,
    /// Renews every year.
    Yearly,
}

impl BillingCycle {
    fn of(period: Option<::catalog::RenewalPeriod>) -> Self {
        match period {
            None => BillingCycle::OneOff,
            Some(::catalog::RenewalPeriod::Monthly) => BillingCycle::Monthly,
            Some(::catalog::RenewalPeriod::Yearly) => BillingCycle::Yearly,
        }
    }

    pub(crate) fn period(self) -> Option<::catalog::RenewalPeriod> {
        match self {
            BillingCycle::OneOff => None,
            BillingCycle::Monthly => Some(::catalog::RenewalPeriod::Monthly),
            BillingCycle::Yearly => Some(::catalog::RenewalPeriod::Yearly),
        }
    }
}
