//! The demo catalog (SPEC §1): the product codes of seed 004, an issue calendar from a year ago to at least
//! two years ahead for every VOLUME product, subscription items, and promotions covering every row of the
//! R4 table. Loading it twice changes nothing but `updated_at`; loading it later extends the calendar.

use crate::CatalogError;
use crate::admin;
use crate::model::PromotionDefinition;
use crate::model::{Cadence, Category, Item, Product, ProductKind, Promotion, RenewalPeriod, Status};
use chrono::{Days, Months, NaiveDate};
use platform_core::Money;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};

/// A VOLUME product's calendar: issue `volume` appeared on `date`, then one every `cadence`.
struct Anchor {
    volume: i32,
    date: (i32, u32, u32),
    cadence: Cadence,
}

/// (code, name, sub-category as in seed 004's SQL, digital, calendar anchor; None for PERIOD products)
const PRODUCTS: [(&str, &str, &str, bool, Option<Anchor>); 14] = [
    (
        "GCV",
        "天下雜誌",
        "天下",
        false,
        Some(Anchor { volume: 771, date: (2023, 4, 19), cadence: Cadence::Days(14) }),
    ),
    (
        "GHV",
        "康健雜誌",
        "康健",
        false,
        Some(Anchor { volume: 188, date: (2014, 7, 1), cadence: Cadence::Months(1) }),
    ),
    (
        "GJV",
        "Cheers雜誌",
        "Cheers",
        false,
        Some(Anchor { volume: 240, date: (2021, 1, 1), cadence: Cadence::Months(1) }),
    ),
    (
        "GKV",
        "親子天下",
        "親子天下",
        false,
        Some(Anchor { volume: 115, date: (2020, 11, 1), cadence: Cadence::Months(1) }),
    ),
    (
        "GRV",
        "換日線",
        "換日線",
        false,
        Some(Anchor { volume: 30, date: (2021, 3, 1), cadence: Cadence::Months(3) }),
    ),
    (
        "GMV",
        "微笑季刊",
        "微笑季刊",
        false,
        Some(Anchor { volume: 40, date: (2021, 2, 15), cadence: Cadence::Months(3) }),
    ),
    (
        "GSV",
        "小行星幼兒誌",
        "小行星幼兒誌",
        false,
        Some(Anchor { volume: 60, date: (2021, 1, 10), cadence: Cadence::Months(1) }),
    ),
    (
        "FCV",
        "天下雜誌電子版",
        "天下電子",
        true,
        Some(Anchor { volume: 771, date: (2023, 4, 19), cadence: Cadence::Days(14) }),
    ),
    (
        "FHV",
        "康健雜誌電子版",
        "康健電子",
        true,
        Some(Anchor { volume: 188, date: (2014, 7, 1), cadence: Cadence::Months(1) }),
    ),
    (
        "FJV",
        "Cheers電子版",
        "Cheers電子",
        true,
        Some(Anchor { volume: 240, date: (2021, 1, 1), cadence: Cadence::Months(1) }),
    ),
    (
        "FKV",
        "親子天下電子版",
        "親子天下電子",
        true,
        Some(Anchor { volume: 115, date: (2020, 11, 1), cadence: Cadence::Months(1) }),
    ),
    (
        "FRV",
        "換日線電子版",
        "換日線電子",
        true,
        Some(Anchor { volume: 30, date: (2021, 3, 1), cadence: Cadence::Months(3) }),
    ),
    (
        "FMV",
        "微笑台灣電子版",
        "微笑台灣電子",
        true,
        Some(Anchor { volume: 40, date: (2021, 2, 15), cadence: Cadence::Months(3) }),
    ),
    ("KCW", "全閱讀", "全閱讀", true, None),
];

/// (item_no, name, category, product, term issues, term months)
type ItemRow = (&'static str, &'static str, Category, Option<&'static str>, Option<i32>, Option<i32>);
const SUBSCRIPTION_ITEMS: [ItemRow; 16] = [
    ("GCV1Y", "天下雜誌 一年26期", Category::Magazine, Some("GCV"), Some(26), None),
    ("GCV2Y", "天下雜誌 兩年52期", Category::Magazine, Some("GCV"), Some(52), None),
    ("FCV1Y", "天下雜誌電子版 一年26期", Category::Digital, Some("FCV"), Some(26), None),
    ("GHV1Y", "康健雜誌 一年12期", Category::Magazine, Some("GHV"), Some(12), None),
    ("GJV1Y", "Cheers雜誌 一年12期", Category::Magazine, Some("GJV"), Some(12), None),
    ("GKV1Y", "親子天下 一年12期", Category::Magazine, Some("GKV"), Some(12), None),
    ("GSV1Y", "小行星幼兒誌 一年12期", Category::Magazine, Some("GSV"), Some(12), None),
    ("GRV1Y", "換日線 一年4期", Category::Magazine, Some("GRV"), Some(4), None),
    ("GMV1Y", "微笑季刊 一年4期", Category::Magazine, Some("GMV"), Some(4), None),
    ("KCW1M", "全閱讀 一個月", Category::Digital, Some("KCW"), None, Some(1)),
    ("KCW12M", "全閱讀 十二個月", Category::Digital, Some("KCW"), None, Some(12)),
    ("BK0001", "天下文化 精選書", Category::Book, None, None, None),
    ("EV0001", "天下經濟論壇 入場券", Category::Event, None, None, None),
    ("GF0001", "訂閱贈品 帆布袋", Category::Gift, None, None, None),
    ("GF0002", "聯賣 保溫瓶", Category::Gift, None, None, None),
    ("BK0002", "親子天下 繪本", Category::Book, None, None, None),
];

/// (code, name, renewal period, [(item_no, selling price, quantity)]); total = Σ price × quantity.
type PromotionRow = (&'static str, &'static str, Option<RenewalPeriod>, &'static [(&'static str, i64, i32)]);
const PROMOTIONS: [PromotionRow; 8] = [
    // Seed 004's 天下+全閱讀 plan (SALEPRICE 3480). R4 rows 1–3 and 5 start from it.
    (
        "GC18080026",
        "天下+全閱讀 一年",
        Some(RenewalPeriod::Yearly),
        &[("GCV1Y", 2280, 1), ("KCW12M", 1200, 1)],
    ),
    ("GC24010001", "天下 一年", Some(RenewalPeriod::Yearly), &[("GCV1Y", 2280, 1)]),
    (
        "GC24010002",
        "天下+全閱讀+換日線 一年",
        Some(RenewalPeriod::Yearly),
        &[("GCV1Y", 2280, 1), ("KCW12M", 1200, 1), ("GRV1Y", 800, 1)],
    ),
    (
        "GC24010003",
        "天下+全閱讀+微笑季刊 一年",
        Some(RenewalPeriod::Yearly),
        &[("GCV1Y", 2280, 1), ("KCW12M", 1200, 1), ("GMV1Y", 600, 1)],
    ),
    ("KC24010001", "全閱讀 月訂", Some(RenewalPeriod::Monthly), &[("KCW1M", 199, 1)]),
    ("KC24010002", "全閱讀 一年", Some(RenewalPeriod::Yearly), &[("KCW12M", 1990, 1)]),
    ("GC24010004", "天下 兩年 送帆布袋", None, &[("GCV2Y", 4200, 1), ("GF0001", 0, 1)]),
    ("BK24010001", "好書兩本+論壇入場券", None, &[("BK0001", 450, 2), ("EV0001", 600, 1)]),
];

/// The demo products.
pub fn products() -> Vec<Product> {
    PRODUCTS
        .iter()
        .map(|(code, name, sub_category, digital, anchor)| Product {
            product_code: (*code).to_owned(),
            name: (*name).to_owned(),
            kind: if anchor.is_some() { ProductKind::Volume } else { ProductKind::Period },
            digital: *digital,
            sub_category: Some((*sub_category).to_owned()),
            cadence: anchor.as_ref().map(|a| a.cadence),
        })
        .collect()
}

/// Issues of every VOLUME product published between `from` and `to` (inclusive).
pub fn issue_calendar(from: NaiveDate, to: NaiveDate) -> Vec<Item> {
    let mut issues = Vec::new();
    for (code, name, sub_category, digital, anchor) in &PRODUCTS {
        let Some(anchor) = anchor else { continue };
        let Some(start) = NaiveDate::from_ymd_opt(anchor.date.0, anchor.date.1, anchor.date.2) else {
            continue;
        };
        for n in 0..10_000u32 {
            let Some(date) = nth_issue_date(start, anchor.cadence, n) else { break };
            if date > to {
                break;
            }
            if date < from {
                continue;
            }
            let Ok(offset) = i32::try_from(n) else { break };
            let volume = anchor.volume + offset;
            issues.push(Item {
                item_no: format!("{code}{volume:06}"),
                name: format!("{name} 第{volume}期"),
                category: if *digital { Category::Digital } else { Category::Magazine },
                sub_category: Some((*sub_category).to_owned()),
                product_code: Some((*code).to_owned()),
                term_issues: None,
                term_months: None,
                term_days: None,
                mz_volume: Some(volume),
                publish_date: Some(date),
                item_status: Status::Active,
                list_price: None,
            });
        }
    }
    issues
}

fn nth_issue_date(start: NaiveDate, cadence: Cadence, n: u32) -> Option<NaiveDate> {
    match cadence {
        Cadence::Days(days) => start.checked_add_days(Days::new(u64::from(days) * u64::from(n))),
        Cadence::Months(months) => start.checked_add_months(Months::new(months.checked_mul(n)?)),
    }
}

/// The demo subscription, book, event and gift items.
pub fn subscription_items() -> Vec<Item> {
    SUBSCRIPTION_ITEMS
        .iter()
        .map(|(item_no, name, category, product, issues, months)| Item {
            item_no: (*item_no).to_owned(),
            name: (*name).to_owned(),
            category: *category,
            sub_category: product.and_then(|code| {
                PRODUCTS
                    .iter()
                    .find(|p| p.0 == code)
                    .map(|(_, _, sub_category, _, _)| (*sub_category).to_owned())
            }),
            product_code: product.map(str::to_owned),
            term_issues: *issues,
            term_months: *months,
            term_days: None,
            mz_volume: None,
            publish_date: None,
            item_status: Status::Active,
            list_price: None,
        })
        .collect()
}

/// The demo promotions.
pub fn promotions() -> Vec<PromotionDefinition> {
    PROMOTIONS
        .iter()
        .map(|(code, name, renewal_period, items)| PromotionDefinition {
            promotion: Promotion {
                promotion_code: (*code).to_owned(),
                name: (*name).to_owned(),
                total_amount: Money::new(
                    items.iter().map(|(_, price, quantity)| price * i64::from(*quantity)).sum(),
                ),
                renewal_period: *renewal_period,
                renewal_promotion_code: None,
                status: Status::Active,
                valid_from: None,
                valid_to: None,
                items: vec![],
            },
            items: items
                .iter()
                .map(|(item, price, quantity)| ((*item).to_owned(), Money::new(*price), *quantity))
                .collect(),
        })
        .collect()
}

/// What [`load`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    /// Products written.
    pub products: usize,
    /// Items written, calendar issues included.
    pub items: usize,
    /// Promotions written.
    pub promotions: usize,
}

/// Loads the demo catalog with a calendar from a year before `today` to two years and a quarter after it.
pub async fn load<C>(db: &C, today: NaiveDate) -> Result<DemoSummary, CatalogError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let from = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    let to = today.checked_add_months(Months::new(27)).unwrap_or(today);
    let products = products();
    let mut items = subscription_items();
    items.extend(issue_calendar(from, to));
    let promotions = promotions();

    // Through the admins' writer, validated like any catalog change, in one transaction.
    let at = chrono::Utc::now();
    let txn = platform_core::db::begin_write(db).await?;
    for written in [
        admin::upsert_products(&txn, &products, at).await?,
        admin::upsert_items(&txn, &items, at).await?,
        admin::upsert_promotions(&txn, &promotions, at).await?,
    ] {
        if let Some(refused) = written.refused.first() {
            return Err(CatalogError::Invalid { field: refused.field, message: refused.message.clone() });
        }
    }
    txn.commit().await?;
    Ok(DemoSummary { products: products.len(), items: items.len(), promotions: promotions.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn calendar_follows_each_cadence() {
        let issues = issue_calendar(date(2023, 4, 1), date(2023, 6, 30));
        let gcv: Vec<(i32, NaiveDate)> = issues
            .iter()
            .filter(|i| i.product_code.as_deref() == Some("GCV"))
            .map(|i| (i.mz_volume.unwrap(), i.publish_date.unwrap()))
            .collect();
        assert_eq!(gcv.first(), Some(&(771, date(2023, 4, 19))));
        assert_eq!(gcv.get(1), Some(&(772, date(2023, 5, 3))));
        let grv: Vec<NaiveDate> = issues
            .iter()
            .filter(|i| i.product_code.as_deref() == Some("GRV"))
            .filter_map(|i| i.publish_date)
            .collect();
        assert_eq!(grv, [date(2023, 6, 1)]);
        assert!(issues.iter().all(|i| i.item_no.len() == 9 && i.product_code.as_deref() != Some("KCW")));
    }

    #[test]
    fn promotions_add_up_and_cover_the_r4_product_sets() {
        let items = subscription_items();
        for definition in promotions() {
            let sum: i64 = definition.items.iter().map(|(_, p, q)| p.amount() * i64::from(*q)).sum();
            assert_eq!(
                sum,
                definition.promotion.total_amount.amount(),
                "{}",
                definition.promotion.promotion_code
            );
            for (item_no, _, _) in &definition.items {
                assert!(items.iter().any(|i| &i.item_no == item_no), "{item_no} is a demo item");
            }
        }
        let sets: Vec<Vec<String>> = promotions()
            .iter()
            .filter(|d| d.promotion.is_renewable())
            .map(|d| {
                let mut set: Vec<String> = d
                    .items
                    .iter()
                    .filter_map(|(no, _, _)| items.iter().find(|i| &i.item_no == no)?.product_code.clone())
                    .collect();
                set.sort();
                set
            })
            .collect();
        for wanted in [
            vec!["GCV", "KCW"],
            vec!["GCV"],
            vec!["GCV", "GRV", "KCW"],
            vec!["GCV", "GMV", "KCW"],
            vec!["KCW"],
        ] {
            assert!(sets.iter().any(|s| s == &wanted), "a renewable promotion sells {wanted:?}");
        }
    }
}
