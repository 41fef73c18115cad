//! Domain types of the catalog, independent of how they are stored or served.

use chrono::NaiveDate;
use platform_core::Money;
use sea_orm::entity::prelude::*;

/// Item category (SPEC §1; the seed's 雜誌, 數位, 書, 活動(票), 贈品/聯賣).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Category {
    /// 雜誌: print magazine issues and subscriptions.
    #[sea_orm(string_value = "MAGAZINE")]
    Magazine,
    /// 數位: digital editions and passes.
    #[sea_orm(string_value = "DIGITAL")]
    Digital,
    /// 書: books.
    #[sea_orm(string_value = "BOOK")]
    Book,
    /// 活動(票): event tickets.
    #[sea_orm(string_value = "EVENT")]
    Event,
    /// 贈品/聯賣: gifts and bundled goods.
    #[sea_orm(string_value = "GIFT")]
    Gift,
}

/// How an entitlement to a product is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum ProductKind {
    /// In issues of the calendar (print and e-magazine editions).
    #[sea_orm(string_value = "VOLUME")]
    Volume,
    /// In days or months (passes such as KCW 全閱讀).
    #[sea_orm(string_value = "PERIOD")]
    Period,
}

impl ProductKind {
    /// The name stored and served.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductKind::Volume => "VOLUME",
            ProductKind::Period => "PERIOD",
        }
    }
}

/// Whether an item or promotion can be sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Status {
    /// On sale (the seed's `itemStatus = 'Active'`).
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Withdrawn.
    #[sea_orm(string_value = "INACTIVE")]
    Inactive,
}

impl Status {
    /// The name stored and served.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Active => "ACTIVE",
            Status::Inactive => "INACTIVE",
        }
    }
}

/// How often a renewable promotion renews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum RenewalPeriod {
    /// 月訂制: renews every month; the deduct notice goes out only before the first cycle (R8).
    #[sea_orm(string_value = "MONTHLY")]
    Monthly,
    /// Renews every year.
    #[sea_orm(string_value = "YEARLY")]
    Yearly,
}

/// The spacing of a VOLUME product's issues, used to estimate dates past the end of the calendar (R3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// An issue every N days (天下: 14).
    Days(u32),
    /// An issue every N months (康健: 1, quarterlies: 3).
    Months(u32),
}

/// What an entitlement is about (產品代碼), e.g. `GCV` 天下, `FCV` 天下電子, `KCW` 全閱讀.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Product code, e.g. `GCV`.
    pub product_code: String,
    /// Display name.
    pub name: String,
    /// VOLUME or PERIOD.
    pub kind: ProductKind,
    /// Delivered digitally (entitlement waits for a member, R3).
    pub digital: bool,
    /// The ERP's sub-category of the product's calendar items (天下, 康健電子, …).
    pub sub_category: Option<String>,
    /// Issue spacing of VOLUME products.
    pub cadence: Option<Cadence>,
}

/// A sellable or calendar item (料號).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Item number (料號).
    pub item_no: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// ERP sub-category, e.g. 天下.
    pub sub_category: Option<String>,
    /// The product it entitles to or belongs to.
    pub product_code: Option<String>,
    /// Term of a VOLUME subscription item, in issues.
    pub term_issues: Option<i32>,
    /// Term of a PERIOD subscription item, in calendar months.
    pub term_months: Option<i32>,
    /// Term of a PERIOD subscription item, in days.
    pub term_days: Option<i32>,
    /// Volume number of a calendar issue (期數).
    pub mz_volume: Option<i32>,
    /// Publish date of a calendar issue (出刊日).
    pub publish_date: Option<NaiveDate>,
    /// On sale or withdrawn.
    pub item_status: Status,
    /// The ERP's list price (定價) of one unit, for display; promotions set what is paid.
    pub list_price: Option<Money>,
}

/// A promotion (方案): items bundled at a price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// Promotion code, e.g. `GC18080026`.
    pub promotion_code: String,
    /// Display name.
    pub name: String,
    /// The promotion's price; the items' `selling_price × quantity` are its parts.
    pub total_amount: Money,
    /// Set when the promotion renews automatically.
    pub renewal_period: Option<RenewalPeriod>,
    /// The plan a renewal charges; `None` means the promotion itself (R7).
    pub renewal_promotion_code: Option<String>,
    /// On sale or withdrawn.
    pub status: Status,
    /// First business day it is sold (inclusive); `None`: since always.
    pub valid_from: Option<NaiveDate>,
    /// Last business day it is sold (inclusive); `None`: until retired.
    pub valid_to: Option<NaiveDate>,
    /// The bundled items in their order.
    pub items: Vec<PromotionItem>,
}

impl Promotion {
    /// Whether the promotion creates renewals (R7).
    pub fn is_renewable(&self) -> bool {
        self.renewal_period.is_some()
    }

    /// Why a new order cannot buy it on business day `day` (R18), or `None` when it is on sale: retired,
    /// outside its window, or holding an item no longer on sale.
    pub fn not_on_sale(&self, day: NaiveDate) -> Option<String> {
        let code = &self.promotion_code;
        if self.status != Status::Active {
            return Some(format!("promotion {code} is retired"));
        }
        if let Some(from) = self.valid_from.filter(|from| day < *from) {
            return Some(format!("promotion {code} is on sale from {from}"));
        }
        if let Some(to) = self.valid_to.filter(|to| day > *to) {
            return Some(format!("promotion {code} was on sale until {to}"));
        }
        self.items
            .iter()
            .find(|line| line.item.item_status != Status::Active)
            .map(|line| format!("item {} of promotion {code} is not on sale", line.item.item_no))
    }
}

/// A promotion to create or replace, naming its items by number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionDefinition {
    /// Code, name, price, renewal plan, window and status; its `items` are ignored.
    pub promotion: Promotion,
    /// `(item_no, selling_price, quantity)` in order.
    pub items: Vec<(String, Money, i32)>,
}

/// A scheduled price change of a renewal plan (R18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    /// Its id.
    pub id: i64,
    /// The plan.
    pub promotion_code: String,
    /// The price from `effective_from`.
    pub new_amount: Money,
    /// The first business day charges may be at the new price.
    pub effective_from: NaiveDate,
    /// Who scheduled it.
    pub created_by: String,
}

/// One item of a promotion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionItem {
    /// Position in the promotion, from 0; R1 gives the remainder to the last priced item.
    pub position: i32,
    /// Price of one unit within the promotion.
    pub selling_price: Money,
    /// Units.
    pub quantity: i32,
    /// The item.
    pub item: Item,
}
