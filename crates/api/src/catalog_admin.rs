//! Catalog administration for admins (R18): `products`, `items` (retired ones included) and the mutations
//! `upsertProduct`, `upsertItem`, `upsertPromotion`, `retireItem`, `retirePromotion`,
//! `schedulePriceChange`. Each goes through `catalog::admin`, the catalog's one writer; a refused change
//! writes nothing. This instance's lookups see a change at once, the others within the cache TTL.

use crate::access::{Require, principal};
use crate::catalog::{Item, Promotion};
use crate::catalog_input::{ItemFilter, ItemInput, ProductInput, PromotionInput};
use crate::error::from_domain;
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use crate::{ApiState, Date};
use ::catalog::admin;
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, Enum, Object, Result};
use platform_core::Money;
use std::sync::Arc;

#[derive(Default)]
pub(crate) struct CatalogAdminQuery;

#[Object]
impl CatalogAdminQuery {
    /// Products by code, a page at a time (`first` ≤ 100, default 20). Admins only.
    #[graphql(
        guard = "Require::Admin",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<String>, Product>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<String>>::parse(first, after)?;
        let rows = ::catalog::service::list_products(
            &state.db,
            page.after.as_ref().map(|c| c.0.as_str()),
            page.limit(),
        )
        .await
        .map_err(from_domain)?;
        Ok(connection(&page, rows, |p| p.product_code.clone(), Product))
    }

    /// Items by number matching `filter` (retired ones included unless it says otherwise), a page at a
    /// time (`first` ≤ 100, default 20). Admins only.
    #[graphql(
        guard = "Require::Admin",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn items(
        &self,
        ctx: &Context<'_>,
        filter: Option<ItemFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<String>, Item>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<String>>::parse(first, after)?;
        let filter = filter.unwrap_or_default();
        let wanted = ::catalog::service::ItemFilter {
            product_code: filter.product_code.map(|c| c.trim().to_owned()),
            category: filter.category.map(Into::into),
            status: filter.status.map(Into::into),
            issues: filter.issues,
        };
        let rows = ::catalog::service::list_items(
            &state.db,
            &wanted,
            page.after.as_ref().map(|c| c.0.as_str()),
            page.limit(),
        )
        .await
        .map_err(from_domain)?;
        Ok(connection(&page, rows, |i| i.item_no.clone(), Item))
    }
}

fn connection<T, N>(
    page: &Page<OpaqueCursor<String>>,
    mut rows: Vec<T>,
    key: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> Connection<OpaqueCursor<String>, N>
where
    N: async_graphql::OutputType,
{
    let has_next_page = rows.len() > page.first;
    rows.truncate(page.first);
    let mut connection = Connection::new(page.after.is_some(), has_next_page);
    connection.edges.extend(rows.into_iter().map(|row| Edge::new(OpaqueCursor(key(&row)), node(row))));
    connection
}

#[derive(Default)]
pub(crate) struct CatalogAdminMutation;

#[Object]
impl CatalogAdminMutation {
    /// Creates or updates a product by code. A VOLUME product needs `cadenceDays` or `cadenceMonths`
    /// (the spacing of its issues); a product's kind cannot change under its items. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn upsert_product(&self, ctx: &Context<'_>, input: ProductInput) -> Result<Product> {
        let state = ctx.data::<ApiState>()?;
        let product = input.into_domain()?;
        let stored =
            admin::upsert_product(&state.db, &product, state.clock.now()).await.map_err(from_domain)?;
        state.catalog.changed();
        Ok(Product(stored))
    }

    /// Creates or updates an item by number: a sellable item, a subscription term (`termIssues` for a
    /// VOLUME product, `termMonths` or `termDays` for a PERIOD one) or a calendar issue (`mzVolume` and
    /// `publishDate`). Setting `itemStatus: INACTIVE` retires it. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn upsert_item(&self, ctx: &Context<'_>, input: ItemInput) -> Result<Item> {
        let state = ctx.data::<ApiState>()?;
        let item = input.into_domain();
        let stored = admin::upsert_item(&state.db, &item, state.clock.now()).await.map_err(from_domain)?;
        state.catalog.changed();
        Ok(Item(stored))
    }

    /// Creates or replaces a promotion and its items by code. Its items must exist and be on sale; a
    /// renewable one (MONTHLY or YEARLY) needs an item with a term, and its `renewalPromotionCode` must
    /// name a renewable plan without looping back. A new price reaches renewals created after it; pending
    /// renewals change price only through `schedulePriceChange`. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn upsert_promotion(&self, ctx: &Context<'_>, input: PromotionInput) -> Result<Promotion> {
        let state = ctx.data::<ApiState>()?;
        let definition = input.into_domain();
        let stored =
            admin::upsert_promotion(&state.db, &definition, state.clock.now()).await.map_err(from_domain)?;
        state.catalog.changed();
        Ok(Promotion(Arc::new(stored)))
    }

    /// Takes an item off sale: new orders refuse it and promotions holding it. Nothing is deleted.
    /// Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn retire_item(&self, ctx: &Context<'_>, item_no: String) -> Result<Item> {
        let state = ctx.data::<ApiState>()?;
        let stored =
            admin::retire_item(&state.db, item_no.trim(), state.clock.now()).await.map_err(from_domain)?;
        state.catalog.changed();
        Ok(Item(stored))
    }

    /// Takes a promotion off sale: new orders refuse it; its pending renewals renew into its
    /// `renewalPromotionCode` at their next charge, or fail with `PLAN_RETIRED` (a follow-up opens).
    /// Existing orders are untouched. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn retire_promotion(&self, ctx: &Context<'_>, promotion_code: String) -> Result<Promotion> {
        let state = ctx.data::<ApiState>()?;
        let stored = admin::retire_promotion(&state.db, promotion_code.trim(), state.clock.now())
            .await
            .map_err(from_domain)?;
        state.catalog.changed();
        Ok(Promotion(Arc::new(stored)))
    }

    /// Schedules renewal plan `promotionCode`'s price to become `newAmount` from `effectiveFrom` (a day
    /// after today). Each payer of a pending renewal is e-mailed at least `catalog.price_notice_days`
    /// before their first charge at the new price; a renewal due sooner keeps the old price for that
    /// cycle. Scheduling the same change again answers the first; another one while one is pending is
    /// `CONFLICT`. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn schedule_price_change(
        &self,
        ctx: &Context<'_>,
        promotion_code: String,
        new_amount: i64,
        effective_from: Date,
    ) -> Result<PriceChange> {
        let state = ctx.data::<ApiState>()?;
        let now = state.clock.now();
        let by = principal(ctx).subject().to_owned();
        let change = admin::schedule_price_change(
            &state.db,
            promotion_code.trim(),
            Money::new(new_amount),
            effective_from.0,
            state.calendar.date_of(now),
            &by,
            now,
        )
        .await
        .map_err(from_domain)?;
        Ok(PriceChange(change))
    }
}

/// A product (產品代碼): what an entitlement is about.
pub(crate) struct Product(::catalog::Product);

#[Object]
impl Product {
    /// Product code, e.g. `GCV`.
    async fn product_code(&self) -> &str {
        &self.0.product_code
    }
    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// VOLUME (counted in issues) or PERIOD (in days).
    async fn kind(&self) -> ProductKind {
        self.0.kind.into()
    }
    /// Delivered digitally.
    async fn digital(&self) -> bool {
        self.0.digital
    }
    /// The ERP's sub-category of its calendar items.
    async fn sub_category(&self) -> Option<&str> {
        self.0.sub_category.as_deref()
    }
    /// Days between issues (VOLUME).
    async fn cadence_days(&self) -> Option<u32> {
        match self.0.cadence {
            Some(::catalog::Cadence::Days(n)) => Some(n),
            _ => None,
        }
    }
    /// Months between issues (VOLUME).
    async fn cadence_months(&self) -> Option<u32> {
        match self.0.cadence {
            Some(::catalog::Cadence::Months(n)) => Some(n),
            _ => None,
        }
    }
}

/// How an entitlement to a product is counted.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProductKind {
    /// In issues of the calendar.
    Volume,
    /// In days.
    Period,
}

impl From<::catalog::ProductKind> for ProductKind {
    fn from(value: ::catalog::ProductKind) -> Self {
        match value {
            ::catalog::ProductKind::Volume => ProductKind::Volume,
            ::catalog::ProductKind::Period => ProductKind::Period,
        }
    }
}

/// A scheduled price change of a renewal plan.
pub(crate) struct PriceChange(pub(crate) ::catalog::PriceChange);

#[Object]
impl PriceChange {
    /// The plan.
    async fn promotion_code(&self) -> &str {
        &self.0.promotion_code
    }
    /// The price from `effectiveFrom`, in TWD.
    async fn new_amount(&self) -> i64 {
        self.0.new_amount.amount()
    }
    /// The first business day a charge may be at the new price.
    async fn effective_from(&self) -> Date {
        Date(self.0.effective_from)
    }
    /// Who scheduled it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
}
