//! **R18 validation**, pure: a product, item or promotion checked against the catalog it refers to
//! (passed in as maps, read by the caller in bulk). The first rule broken is the answer.

use crate::model::{Item, Product, ProductKind, PromotionDefinition, RenewalPeriod, Status};
use platform_core::Money;
use std::collections::{HashMap, HashSet};

/// Highest amount a catalog price may have (TWD): the orders' bound.
pub const MAX_AMOUNT: i64 = 1_000_000_000;
/// Most items in one promotion.
pub const MAX_PROMOTION_ITEMS: usize = 50;
/// Most units of one promotion item.
pub const MAX_QUANTITY: i32 = 999;
/// Longest name.
pub const MAX_NAME: usize = 200;

/// A broken rule: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The field, as the API and the import name it.
    pub field: &'static str,
    /// Why.
    pub message: String,
}

fn broken(field: &'static str, message: impl Into<String>) -> Broken {
    Broken { field, message: message.into() }
}

/// What a promotion's renewal chain needs of a promotion: whether it renews and into what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLink {
    /// MONTHLY or YEARLY; `None` for ONE_OFF.
    pub renewal_period: Option<RenewalPeriod>,
    /// Its own `renewalPromotionCode`.
    pub renewal_promotion_code: Option<String>,
}

/// A code: 1–`max` ASCII letters, digits, `-` or `_`.
pub fn code(field: &'static str, value: &str, max: usize) -> Result<(), Broken> {
    if value.is_empty()
        || value.len() > max
        || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(broken(field, format!("{value:?} is not a code (1–{max} letters, digits, - or _)")));
    }
    Ok(())
}

/// A display name: 1–200 characters, no control characters.
pub fn name(field: &'static str, value: &str) -> Result<(), Broken> {
    if value.trim().is_empty() || value.chars().count() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(broken(field, format!("1–{MAX_NAME} printable characters")));
    }
    Ok(())
}

/// An amount: 0 to [`MAX_AMOUNT`].
pub fn amount(field: &'static str, value: Money) -> Result<(), Broken> {
    if !(0..=MAX_AMOUNT).contains(&value.amount()) {
        return Err(broken(field, format!("{} is not between 0 and {MAX_AMOUNT}", value.amount())));
    }
    Ok(())
}

/// A product; `has_items_of_other_kind` says whether items of the stored product would no longer match.
pub fn product(p: &Product, has_items_of_other_kind: bool) -> Result<(), Broken> {
    code("productCode", &p.product_code, 16)?;
    name("name", &p.name)?;
    match (p.kind, p.cadence) {
        (ProductKind::Volume, None) => {
            return Err(broken("cadence", "a VOLUME product needs the spacing of its issues"));
        }
        (ProductKind::Period, Some(_)) => return Err(broken("cadence", "a PERIOD product has no issues")),
        (ProductKind::Volume, Some(crate::Cadence::Days(n))) if !(1..=366).contains(&n) => {
            return Err(broken("cadence", "1–366 days between issues"));
        }
        (ProductKind::Volume, Some(crate::Cadence::Months(n))) if !(1..=12).contains(&n) => {
            return Err(broken("cadence", "1–12 months between issues"));
        }
        _ => {}
    }
    if has_items_of_other_kind {
        return Err(broken("kind", format!("{} has items of its current kind", p.product_code)));
    }
    Ok(())
}

/// An item, against the products it may name.
pub fn item(i: &Item, products: &HashMap<String, Product>) -> Result<(), Broken> {
    code("itemNo", &i.item_no, 32)?;
    name("name", &i.name)?;
    if let Some(sub) = &i.sub_category {
        name("subCategory", sub)?;
    }
    if let Some(price) = i.list_price {
        amount("listPrice", price)?;
    }
    let terms = [i.term_issues, i.term_months, i.term_days];
    if terms.iter().flatten().count() > 1 {
        return Err(broken("term", "one of termIssues, termMonths, termDays"));
    }
    for (field, value, max) in [
        ("termIssues", i.term_issues, 520),
        ("termMonths", i.term_months, 120),
        ("termDays", i.term_days, 3660),
    ] {
        if value.is_some_and(|v| !(1..=max).contains(&v)) {
            return Err(broken(field, format!("1–{max}")));
        }
    }
    let issue = match (i.mz_volume, i.publish_date) {
        (None, None) => false,
        (Some(v), Some(_)) if v >= 1 => true,
        (Some(_), Some(_)) => return Err(broken("mzVolume", "a volume number is 1 or more")),
        _ => return Err(broken("publishDate", "an issue has both mzVolume and publishDate")),
    };
    if issue && terms.iter().any(Option::is_some) {
        return Err(broken("term", "an issue of the calendar has no term"));
    }
    let needs = if issue || i.term_issues.is_some() {
        Some(ProductKind::Volume)
    } else if i.term_months.is_some() || i.term_days.is_some() {
        Some(ProductKind::Period)
    } else {
        None
    };
    match (&i.product_code, needs) {
        (None, Some(_)) => Err(broken("productCode", "an issue or a term needs the product it is of")),
        (None, None) => Ok(()),
        (Some(code), needs) => {
            let Some(product) = products.get(code) else {
                return Err(broken("productCode", format!("no product {code}")));
            };
            match needs {
                Some(kind) if kind != product.kind => Err(broken(
                    "productCode",
                    format!(
                        "{code} is a {} product; this item needs a {} one",
                        product.kind.as_str(),
                        kind.as_str()
                    ),
                )),
                _ => Ok(()),
            }
        }
    }
}

/// A promotion, against the items it bundles and the promotions its renewal chain passes through
/// (`plans`: every stored promotion the chain may reach, with those of the same batch).
pub fn promotion(
    d: &PromotionDefinition,
    items: &HashMap<String, Item>,
    plans: &HashMap<String, PlanLink>,
) -> Result<(), Broken> {
    let p = &d.promotion;
    code("promotionCode", &p.promotion_code, 32)?;
    name("name", &p.name)?;
    amount("totalAmount", p.total_amount)?;
    if let (Some(from), Some(to)) = (p.valid_from, p.valid_to)
        && to < from
    {
        return Err(broken("validTo", format!("{to} is before validFrom {from}")));
    }
    if d.items.is_empty() || d.items.len() > MAX_PROMOTION_ITEMS {
        return Err(broken("promotionItems", format!("1–{MAX_PROMOTION_ITEMS} items")));
    }
    let mut renews_a_product = false;
    for (item_no, price, quantity) in &d.items {
        amount("sellingPrice", *price)?;
        if !(1..=MAX_QUANTITY).contains(quantity) {
            return Err(broken("quantity", format!("1–{MAX_QUANTITY} units")));
        }
        let Some(item) = items.get(item_no) else {
            return Err(broken("itemNo", format!("no item {item_no}")));
        };
        if item.item_status != Status::Active {
            return Err(broken("itemNo", format!("item {item_no} is not on sale")));
        }
        renews_a_product |= item.product_code.is_some()
            && (item.term_issues.is_some() || item.term_months.is_some() || item.term_days.is_some());
    }
    if p.renewal_period.is_none() {
        if p.renewal_promotion_code.is_some() {
            return Err(broken("renewalPromotionCode", "a ONE_OFF promotion does not renew"));
        }
        return Ok(());
    }
    if !renews_a_product {
        return Err(broken("billingCycle", "a renewable promotion needs an item with a term to renew"));
    }
    // The chain of renewal plans ends: at a plan renewing into itself or into nothing, never in a loop.
    let mut seen = HashSet::from([p.promotion_code.clone()]);
    let mut next = p.renewal_promotion_code.clone().filter(|c| *c != p.promotion_code);
    while let Some(current) = next {
        let Some(link) = plans.get(&current) else {
            return Err(broken("renewalPromotionCode", format!("no promotion {current}")));
        };
        if link.renewal_period.is_none() {
            return Err(broken("renewalPromotionCode", format!("{current} is not renewable")));
        }
        if !seen.insert(current.clone()) {
            return Err(broken("renewalPromotionCode", format!("the renewal plans loop through {current}")));
        }
        next = link.renewal_promotion_code.clone().filter(|c| *c != current);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cadence, Category, Promotion};
    use chrono::NaiveDate;

    fn products() -> HashMap<String, Product> {
        let volume = Product {
            product_code: "GCV".into(),
            name: "天下雜誌".into(),
            kind: ProductKind::Volume,
            digital: false,
            sub_category: None,
            cadence: Some(Cadence::Days(14)),
        };
        let period = Product {
            product_code: "KCW".into(),
            name: "全閱讀".into(),
            kind: ProductKind::Period,
            digital: true,
            sub_category: None,
            cadence: None,
        };
        HashMap::from([("GCV".into(), volume), ("KCW".into(), period)])
    }

    fn item(no: &str, product: Option<&str>) -> Item {
        Item {
            item_no: no.into(),
            name: no.into(),
            category: Category::Magazine,
            sub_category: None,
            product_code: product.map(Into::into),
            term_issues: None,
            term_months: None,
            term_days: None,
            mz_volume: None,
            publish_date: None,
            item_status: Status::Active,
            list_price: None,
        }
    }

    fn plan(code: &str, renews: Option<RenewalPeriod>, into: Option<&str>) -> PromotionDefinition {
        PromotionDefinition {
            promotion: Promotion {
                promotion_code: code.into(),
                name: code.into(),
                total_amount: Money::new(2280),
                renewal_period: renews,
                renewal_promotion_code: into.map(Into::into),
                status: Status::Active,
                valid_from: None,
                valid_to: None,
                items: Vec::new(),
            },
            items: vec![("GCV1Y".into(), Money::new(2280), 1)],
        }
    }

    fn field(result: Result<(), Broken>) -> Option<&'static str> {
        result.err().map(|b| b.field)
    }

    #[test]
    fn r18_item_rules_table() {
        let products = products();
        let term =
            |issues, months| Item { term_issues: issues, term_months: months, ..item("T1", Some("GCV")) };
        let cases: Vec<(&str, Item, Option<&str>)> = vec![
            ("a gift without product", item("GF01", None), None),
            ("an issue term of a VOLUME product", term(Some(26), None), None),
            ("a month term of a VOLUME product", term(None, Some(12)), Some("productCode")),
            ("two terms", term(Some(26), Some(12)), Some("term")),
            ("a zero term", term(Some(0), None), Some("termIssues")),
            ("a term of no product", Item { term_issues: Some(26), ..item("T2", None) }, Some("productCode")),
            ("an unknown product", item("X1", Some("NOPE")), Some("productCode")),
            (
                "an issue of a PERIOD product",
                Item {
                    mz_volume: Some(1),
                    publish_date: NaiveDate::from_ymd_opt(2026, 1, 1),
                    ..item("KCW000001", Some("KCW"))
                },
                Some("productCode"),
            ),
            (
                "a volume without date",
                Item { mz_volume: Some(1), ..item("I1", Some("GCV")) },
                Some("publishDate"),
            ),
            (
                "a negative list price",
                Item { list_price: Some(Money::new(-1)), ..item("L1", None) },
                Some("listPrice"),
            ),
            ("a bad item number", item("has space", None), Some("itemNo")),
            ("an empty name", Item { name: " ".into(), ..item("N1", None) }, Some("name")),
        ];
        for (name, i, expected) in cases {
            assert_eq!(field(super::item(&i, &products)), expected, "{name}");
        }
    }

    #[test]
    fn r18_promotion_rules_table() {
        let mut items = HashMap::from([
            ("GCV1Y".to_owned(), Item { term_issues: Some(26), ..item("GCV1Y", Some("GCV")) }),
            ("BOOK1".to_owned(), Item { category: Category::Book, ..item("BOOK1", None) }),
        ]);
        items.insert("OLD1".into(), Item { item_status: Status::Inactive, ..item("OLD1", None) });
        let link = |renews: Option<RenewalPeriod>, into: Option<&str>| PlanLink {
            renewal_period: renews,
            renewal_promotion_code: into.map(Into::into),
        };
        let monthly = Some(RenewalPeriod::Monthly);
        let stored = HashMap::from([
            ("ONEOFF".to_owned(), link(None, None)),
            ("B".to_owned(), link(monthly, Some("A"))),
            ("NEXT".to_owned(), link(monthly, None)),
        ]);
        let with = |mut d: PromotionDefinition, f: &dyn Fn(&mut PromotionDefinition)| {
            f(&mut d);
            d
        };
        let base = plan("A", None, None);
        let cases: Vec<(&str, PromotionDefinition, Option<&str>)> = vec![
            ("a one-off promotion", base.clone(), None),
            ("a monthly plan renewing itself", plan("A", monthly, Some("A")), None),
            ("a plan renewing into a renewable one", plan("A", monthly, Some("NEXT")), None),
            (
                "a negative total",
                with(base.clone(), &|d| d.promotion.total_amount = Money::new(-1)),
                Some("totalAmount"),
            ),
            (
                "a negative selling price",
                with(base.clone(), &|d| d.items[0].1 = Money::new(-5)),
                Some("sellingPrice"),
            ),
            ("zero units", with(base.clone(), &|d| d.items[0].2 = 0), Some("quantity")),
            ("no items", with(base.clone(), &|d| d.items.clear()), Some("promotionItems")),
            (
                "an unknown item",
                with(base.clone(), &|d| d.items.push(("NOPE".into(), Money::new(1), 1))),
                Some("itemNo"),
            ),
            (
                "an inactive item",
                with(base.clone(), &|d| d.items.push(("OLD1".into(), Money::new(1), 1))),
                Some("itemNo"),
            ),
            (
                "validTo before validFrom",
                with(base.clone(), &|d| {
                    d.promotion.valid_from = NaiveDate::from_ymd_opt(2026, 12, 31);
                    d.promotion.valid_to = NaiveDate::from_ymd_opt(2026, 12, 1);
                }),
                Some("validTo"),
            ),
            (
                "a renewal plan that is not renewable",
                plan("A", monthly, Some("ONEOFF")),
                Some("renewalPromotionCode"),
            ),
            ("an unknown renewal plan", plan("A", monthly, Some("NOPE")), Some("renewalPromotionCode")),
            ("a cycle A→B→A", plan("A", monthly, Some("B")), Some("renewalPromotionCode")),
            (
                "a one-off promotion with a renewal plan",
                plan("A", None, Some("NEXT")),
                Some("renewalPromotionCode"),
            ),
            (
                "a renewable promotion with nothing to renew",
                with(plan("A", monthly, None), &|d| d.items = vec![("BOOK1".into(), Money::new(100), 1)]),
                Some("billingCycle"),
            ),
        ];
        for (name, d, expected) in cases {
            let mut plans = stored.clone();
            plans.insert(
                d.promotion.promotion_code.clone(),
                link(d.promotion.renewal_period, d.promotion.renewal_promotion_code.as_deref()),
            );
            assert_eq!(field(promotion(&d, &items, &plans)), expected, "{name}");
        }
    }

    #[test]
    fn r18_product_rules_table() {
        let mut gcv = products().remove("GCV").unwrap();
        assert_eq!(field(product(&gcv, false)), None);
        assert_eq!(field(product(&gcv, true)), Some("kind"), "a kind change under its items");
        gcv.cadence = None;
        assert_eq!(field(product(&gcv, false)), Some("cadence"), "a VOLUME product needs a cadence");
        let mut kcw = products().remove("KCW").unwrap();
        kcw.cadence = Some(Cadence::Months(1));
        assert_eq!(field(product(&kcw, false)), Some("cadence"), "a PERIOD product has none");
    }
}
