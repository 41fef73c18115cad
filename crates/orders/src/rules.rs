//! Pure order rules: line status (R2), promotion expansion with the R1 split, order numbers.

use crate::OrdersError;
use crate::model::LineStatus;
use catalog::rules::{SplitItem, split_promotion_amount};
use catalog::{Category, Item, Promotion, Status};
use chrono::NaiveDate;
use platform_core::Money;

/// The fulfilment subinventory lines go to unless configured otherwise (seed 004: 出貨倉庫改為A01).
pub const DEFAULT_SUBINVENTORY: &str = "A01";

/// **R2:** the status of a new order line. Seed 004 confirms lines of every category immediately
/// (雜誌, 數位, 書, 活動(票), 贈品或是聯賣 — 立即 Confirm).
pub const fn initial_line_status(category: Category) -> LineStatus {
    match category {
        Category::Magazine | Category::Digital | Category::Book | Category::Event | Category::Gift => {
            LineStatus::Confirmed
        }
    }
}

/// What an input line's `itemNo` turned out to be.
#[derive(Debug, Clone)]
pub enum Resolved<'a> {
    /// A single item.
    Item(&'a Item),
    /// A promotion, expanded into its items.
    Promotion(&'a Promotion),
}

/// One line after expansion, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandedLine {
    /// Which input line it came from.
    pub input_line: usize,
    /// The item.
    pub item_no: String,
    /// The promotion it came from.
    pub promotion_code: Option<String>,
    /// Category.
    pub category: Category,
    /// Product code.
    pub product_code: Option<String>,
    /// Units.
    pub quantity: u32,
    /// Paid for this line.
    pub amount: Money,
    /// R2.
    pub status: LineStatus,
}

/// **R1 expansion:** input line `index` (`quantity` units, `amount` paid) of `resolved` into order lines.
/// A promotion bought `quantity` times is split as one bundle of `quantity ×` each item, over
/// `quantity × totalAmount`. Withdrawn items are refused; so are promotions not on sale on `sale_day`
/// (R18: retired, outside their window, or holding a retired item) — or, for a renewal's charge
/// (`sale_day` `None`), only a retired plan.
pub fn expand_line(
    index: usize,
    resolved: Resolved<'_>,
    quantity: u32,
    amount: Money,
    sale_day: Option<NaiveDate>,
) -> Result<Vec<ExpandedLine>, OrdersError> {
    let field = |name: &str| format!("lines[{index}].{name}");
    match resolved {
        Resolved::Item(item) => {
            if item.item_status != Status::Active {
                return Err(OrdersError::invalid(
                    field("itemNo"),
                    format!("item {} is not on sale", item.item_no),
                ));
            }
            Ok(vec![ExpandedLine {
                input_line: index,
                item_no: item.item_no.clone(),
                promotion_code: None,
                category: item.category,
                product_code: item.product_code.clone(),
                quantity,
                amount,
                status: initial_line_status(item.category),
            }])
        }
        Resolved::Promotion(promotion) => {
            let refused = match sale_day {
                Some(day) => promotion.not_on_sale(day),
                None => (promotion.status != Status::Active)
                    .then(|| format!("promotion {} is retired", promotion.promotion_code)),
            };
            if let Some(why) = refused {
                return Err(OrdersError::invalid(field("itemNo"), why));
            }
            let too_large = || OrdersError::invalid(field("quantity"), "is too large");
            let units: Vec<u32> = promotion
                .items
                .iter()
                .map(|i| {
                    u32::try_from(i.quantity).ok().and_then(|q| q.checked_mul(quantity)).ok_or_else(too_large)
                })
                .collect::<Result<_, _>>()?;
            let split: Vec<SplitItem> = promotion
                .items
                .iter()
                .zip(&units)
                .map(|(i, units)| SplitItem { selling_price: i.selling_price, quantity: *units })
                .collect();
            let total = promotion
                .total_amount
                .amount()
                .checked_mul(i64::from(quantity))
                .map(Money::new)
                .ok_or_else(too_large)?;
            let amounts = split_promotion_amount(amount, total, &split)
                .map_err(|e| OrdersError::invalid(field("amount"), e.to_string()))?;
            Ok(promotion
                .items
                .iter()
                .zip(units)
                .zip(amounts)
                .map(|((line, units), amount)| ExpandedLine {
                    input_line: index,
                    item_no: line.item.item_no.clone(),
                    promotion_code: Some(promotion.promotion_code.clone()),
                    category: line.item.category,
                    product_code: line.item.product_code.clone(),
                    quantity: units,
                    amount,
                    status: initial_line_status(line.item.category),
                })
                .collect())
        }
    }
}

/// The order number of order row `id` created on business date `day`: `O`, `yymmdd`, and the id in 10
/// digits, e.g. `O261122` + `0000000042`. Unique (the id is), readable, and sorted by creation.
pub fn order_number(day: NaiveDate, id: i64) -> String {
    format!("O{}{id:010}", day.format("%y%m%d"))
}

/// **R21, 91APP:** a 91APP order's digital products are for the 天下 member it names (`memberAccount`) and
/// nobody else — no gifting: such an order must name its member, and a receiver e-mail, when given, must be
/// that member's account. `Err` names the field. Other sources and orders without a digital line pass.
pub fn nine_one_app_digital(
    source: crate::OrderSource,
    member: Option<&members::Account>,
    receiver_email: Option<&str>,
    categories: &[Category],
) -> Result<(), OrdersError> {
    if source != crate::OrderSource::NineOneApp || !categories.contains(&Category::Digital) {
        return Ok(());
    }
    let Some(member) = member else {
        return Err(OrdersError::invalid(
            "memberAccount",
            "a 91APP order with a digital product names the 天下 member it is for",
        ));
    };
    match receiver_email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) if !email.eq_ignore_ascii_case(member.as_str()) => Err(OrdersError::invalid(
            "receiver.email",
            format!("a 91APP order's digital products go to its member {member} only (no gifting)"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r21_a_nine_one_app_digital_line_goes_to_its_member_only() {
        /// Source, member, receiver e-mail, the lines' categories, and the field refused (if any).
        type Case<'a> = (
            crate::OrderSource,
            Option<&'a members::Account>,
            Option<&'a str>,
            &'a [Category],
            Option<&'a str>,
        );
        use crate::OrderSource::{Ec, NineOneApp};
        let member = members::Account::parse("reader@example.com").unwrap();
        let digital = [Category::Magazine, Category::Digital];
        let print = [Category::Magazine, Category::Book];
        let cases: [Case; 7] = [
            (NineOneApp, Some(&member), None, &digital, None),
            (NineOneApp, Some(&member), Some("Reader@Example.com"), &digital, None),
            (NineOneApp, Some(&member), Some("friend@example.com"), &digital, Some("receiver.email")),
            (NineOneApp, None, None, &digital, Some("memberAccount")),
            (NineOneApp, None, Some("friend@example.com"), &print, None),
            (Ec, Some(&member), Some("friend@example.com"), &digital, None),
            (Ec, None, None, &digital, None),
        ];
        for (source, member, email, categories, refused) in cases {
            let field = match nine_one_app_digital(source, member, email, categories) {
                Ok(()) => None,
                Err(OrdersError::Invalid { field, .. }) => Some(field),
                Err(other) => panic!("{other}"),
            };
            assert_eq!(field.as_deref(), refused, "{source:?} {member:?} {email:?} {categories:?}");
        }
    }
    use catalog::PromotionItem;

    const DAY: Option<NaiveDate> = NaiveDate::from_ymd_opt(2026, 11, 22);

    #[test]
    fn r2_every_category_is_confirmed_on_creation() {
        for category in
            [Category::Magazine, Category::Digital, Category::Book, Category::Event, Category::Gift]
        {
            assert_eq!(initial_line_status(category), LineStatus::Confirmed, "{category:?}");
        }
        assert_eq!(DEFAULT_SUBINVENTORY, "A01");
    }

    fn item(no: &str, category: Category, product: &str) -> Item {
        Item {
            item_no: no.into(),
            name: no.into(),
            category,
            sub_category: None,
            product_code: Some(product.into()),
            term_issues: None,
            term_months: None,
            term_days: None,
            mz_volume: None,
            publish_date: None,
            item_status: Status::Active,
            list_price: None,
        }
    }

    fn promotion(total: i64, items: &[(&Item, i64, i32)]) -> Promotion {
        Promotion {
            promotion_code: "GC18080026".into(),
            name: "天下+全閱讀".into(),
            total_amount: Money::new(total),
            renewal_period: None,
            renewal_promotion_code: None,
            status: Status::Active,
            valid_from: None,
            valid_to: None,
            items: items
                .iter()
                .zip(0..)
                .map(|((item, price, quantity), position)| PromotionItem {
                    position,
                    item: (*item).clone(),
                    selling_price: Money::new(*price),
                    quantity: *quantity,
                })
                .collect(),
        }
    }

    #[test]
    fn r1_promotion_lines_expand_and_split_the_paid_amount() {
        let gcv = item("GCV1Y", Category::Magazine, "GCV");
        let kcw = item("KCW12M", Category::Digital, "KCW");
        let gift = item("GF0001", Category::Gift, "GFT");
        let bundle = promotion(3480, &[(&gcv, 2280, 1), (&kcw, 1200, 1), (&gift, 0, 1)]);
        let lines = expand_line(2, Resolved::Promotion(&bundle), 1, Money::new(2999), DAY).unwrap();
        let amounts: Vec<i64> = lines.iter().map(|l| l.amount.amount()).collect();
        // 2999 × 2280 / 3480 = 1964.9 → 1964; 2999 × 1200 / 3480 = 1034.1 → 1034; the remainder 1 goes to
        // the last priced item; the gift stays 0.
        assert_eq!(amounts, [1964, 1035, 0]);
        assert!(lines.iter().all(|l| l.input_line == 2 && l.promotion_code.as_deref() == Some("GC18080026")));
        assert_eq!(lines[1].category, Category::Digital);

        // Bought twice: quantities double, the split is over twice the total.
        let twice = expand_line(0, Resolved::Promotion(&bundle), 2, Money::new(6960), DAY).unwrap();
        let got: Vec<(u32, i64)> = twice.iter().map(|l| (l.quantity, l.amount.amount())).collect();
        assert_eq!(got, [(2, 4560), (2, 2400), (2, 0)]);
    }

    #[test]
    fn withdrawn_items_and_promotions_are_refused_with_the_line_named() {
        let mut old = item("GCV0001", Category::Magazine, "GCV");
        old.item_status = Status::Inactive;
        let err = expand_line(1, Resolved::Item(&old), 1, Money::new(100), DAY).unwrap_err().to_string();
        assert_eq!(err, "lines[1].itemNo: item GCV0001 is not on sale");
        let gcv = item("GCV1Y", Category::Magazine, "GCV");
        let mut bundle = promotion(2280, &[(&gcv, 2280, 1)]);
        bundle.status = Status::Inactive;
        let err =
            expand_line(0, Resolved::Promotion(&bundle), 1, Money::new(2280), DAY).unwrap_err().to_string();
        assert_eq!(err, "lines[0].itemNo: promotion GC18080026 is retired");
        // A renewal's charge refuses a retired plan too.
        assert!(expand_line(0, Resolved::Promotion(&bundle), 1, Money::new(2280), None).is_err());
    }

    #[test]
    fn r18_new_orders_refuse_promotions_out_of_their_window_or_with_a_retired_item() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut gcv = item("GCV1Y", Category::Magazine, "GCV");
        let mut bundle = promotion(2280, &[(&gcv, 2280, 1)]);
        let expand = |p: &Promotion, sale_day| {
            expand_line(0, Resolved::Promotion(p), 1, Money::new(2280), sale_day).map_err(|e| e.to_string())
        };
        assert!(expand(&bundle, Some(day)).is_ok());
        bundle.valid_from = day.succ_opt();
        assert_eq!(
            expand(&bundle, Some(day)).unwrap_err(),
            "lines[0].itemNo: promotion GC18080026 is on sale from 2026-11-23"
        );
        bundle.valid_from = None;
        bundle.valid_to = day.pred_opt();
        assert_eq!(
            expand(&bundle, Some(day)).unwrap_err(),
            "lines[0].itemNo: promotion GC18080026 was on sale until 2026-11-21"
        );
        // The window is for new orders: a renewal's charge of the plan goes on.
        assert!(expand(&bundle, None).is_ok());
        bundle.valid_to = Some(day);
        assert!(expand(&bundle, Some(day)).is_ok(), "the last day is inclusive");
        gcv.item_status = Status::Inactive;
        let bundle = promotion(2280, &[(&gcv, 2280, 1)]);
        assert_eq!(
            expand(&bundle, Some(day)).unwrap_err(),
            "lines[0].itemNo: item GCV1Y of promotion GC18080026 is not on sale"
        );
    }

    proptest::proptest! {
        /// R1 through expansion: whatever the prices, quantities and amount paid, the lines never go
        /// negative and add up to exactly what was paid.
        #[test]
        fn r1_expanded_amounts_are_non_negative_and_sum_to_the_paid_amount(
            prices in proptest::collection::vec((0i64..50_000, 1i32..5), 1..6),
            total in 0i64..200_000,
            bundles in 1u32..4,
            paid in 0i64..1_000_000,
        ) {
            let items: Vec<Item> = (0..prices.len()).map(|i| item(&format!("IT{i}"), Category::Book, "BKS")).collect();
            let parts: Vec<(&Item, i64, i32)> =
                items.iter().zip(&prices).map(|(item, (price, quantity))| (item, *price, *quantity)).collect();
            let bundle = promotion(total, &parts);
            let lines = expand_line(0, Resolved::Promotion(&bundle), bundles, Money::new(paid), DAY).unwrap();
            proptest::prop_assert!(lines.iter().all(|l| !l.amount.is_negative()));
            proptest::prop_assert_eq!(lines.iter().map(|l| l.amount.amount()).sum::<i64>(), paid);
            for (line, (_, quantity)) in lines.iter().zip(&prices) {
                proptest::prop_assert_eq!(i64::from(line.quantity), i64::from(*quantity) * i64::from(bundles));
            }
        }
    }

    #[test]
    fn order_numbers_sort_by_creation() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(order_number(day, 42), "O2611220000000042");
        let next_day = day.succ_opt().unwrap();
        assert!(order_number(day, 999) < order_number(next_day, 1000));
    }
}
