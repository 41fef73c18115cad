//! Pure catalog rules: functions of values, no database, no clock.

use platform_core::Money;

/// One promotion item as the R1 split sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitItem {
    /// Unit price within the promotion.
    pub selling_price: Money,
    /// Units.
    pub quantity: u32,
}

/// Why a split cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The amount paid is below zero.
    #[error("the amount paid must not be negative")]
    NegativePaid,
    /// The promotion's total amount is below zero.
    #[error("the promotion's totalAmount must not be negative")]
    NegativeTotal,
    /// An item's selling price is below zero.
    #[error("a sellingPrice must not be negative")]
    NegativePrice,
    /// There is nothing to split over.
    #[error("the promotion has no items")]
    NoItems,
    /// The numbers do not fit in an amount.
    #[error("the amounts are too large")]
    Overflow,
}

/// **R1 price split (拆單).** Allocates `paid` (what the customer paid for the promotion) over its items.
///
/// As in seed 004: `ratio = paid / total_amount`, each item gets `floor(ratio × sellingPrice × quantity)`
/// (computed exactly, as `paid × sellingPrice × quantity / total_amount` in 128-bit integers), and the
/// remainder `paid − Σ` goes to the last item. Two refinements keep the promise that amounts are never
/// negative and always sum to `paid`:
/// - the remainder goes to the last item *with a price*, so a free gift at the end stays at 0;
/// - a catalog whose item prices add up to more than `total_amount` would make the remainder negative; the
///   split then uses the items' own sum as the denominator instead (the same formula, consistent data).
///
/// With `total_amount = 0` every item gets 0 and the remainder (all of `paid`) goes to the last item.
pub fn split_promotion_amount(
    paid: Money,
    total_amount: Money,
    items: &[SplitItem],
) -> Result<Vec<Money>, SplitError> {
    if paid.is_negative() {
        return Err(SplitError::NegativePaid);
    }
    if total_amount.is_negative() {
        return Err(SplitError::NegativeTotal);
    }
    if items.is_empty() {
        return Err(SplitError::NoItems);
    }
    if items.iter().any(|i| i.selling_price.is_negative()) {
        return Err(SplitError::NegativePrice);
    }
    let weights: Vec<i128> =
        items.iter().map(|i| i128::from(i.selling_price.amount()) * i128::from(i.quantity)).collect();
    let paid_wide = i128::from(paid.amount());
    let shares_over = |denominator: i128| -> Vec<i128> {
        if denominator == 0 {
            vec![0; weights.len()]
        } else {
            weights.iter().map(|w| paid_wide * w / denominator).collect()
        }
    };

    let mut shares = shares_over(i128::from(total_amount.amount()));
    if shares.iter().sum::<i128>() > paid_wide {
        shares = shares_over(weights.iter().sum());
    }
    let remainder = paid_wide - shares.iter().sum::<i128>();
    let last_priced = weights.iter().rposition(|w| *w > 0).unwrap_or(weights.len() - 1);
    shares[last_priced] += remainder;

    shares.into_iter().map(|s| i64::try_from(s).map(Money::new).map_err(|_| SplitError::Overflow)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn items(prices: &[(i64, u32)]) -> Vec<SplitItem> {
        prices.iter().map(|&(p, q)| SplitItem { selling_price: Money::new(p), quantity: q }).collect()
    }

    fn split(paid: i64, total: i64, prices: &[(i64, u32)]) -> Result<Vec<i64>, SplitError> {
        split_promotion_amount(Money::new(paid), Money::new(total), &items(prices))
            .map(|v| v.into_iter().map(Money::amount).collect())
    }

    #[test]
    fn r1_split_table() {
        struct Case {
            name: &'static str,
            paid: i64,
            total: i64,
            items: &'static [(i64, u32)],
            expected: &'static [i64],
        }
        let cases = [
            Case {
                name: "full price",
                paid: 3480,
                total: 3480,
                items: &[(2280, 1), (1200, 1)],
                expected: &[2280, 1200],
            },
            // ratio 2999/3480: floor(2999×1160/3480)=999 for each, remainder 2 to the last.
            Case {
                name: "awkward discount over 3 items",
                paid: 2999,
                total: 3480,
                items: &[(1160, 1), (1160, 1), (1160, 1)],
                expected: &[999, 999, 1001],
            },
            Case {
                name: "quantities above one",
                paid: 1000,
                total: 1500,
                items: &[(450, 2), (600, 1)],
                expected: &[600, 400],
            },
            Case {
                name: "free gift at the end keeps 0",
                paid: 3999,
                total: 4200,
                items: &[(4200, 1), (0, 1)],
                expected: &[3999, 0],
            },
            Case {
                name: "free gift in the middle",
                paid: 100,
                total: 300,
                items: &[(100, 1), (0, 3), (200, 1)],
                expected: &[33, 0, 67],
            },
            Case {
                name: "total amount zero",
                paid: 0,
                total: 0,
                items: &[(0, 1), (0, 1)],
                expected: &[0, 0],
            },
            Case {
                name: "paid on a zero-priced promotion goes to the last item",
                paid: 50,
                total: 0,
                items: &[(0, 1), (0, 1)],
                expected: &[0, 50],
            },
            Case {
                name: "paid zero",
                paid: 0,
                total: 3480,
                items: &[(2280, 1), (1200, 1)],
                expected: &[0, 0],
            },
            Case {
                name: "paid above total",
                paid: 4000,
                total: 3480,
                items: &[(2280, 1), (1200, 1)],
                expected: &[2620, 1380],
            },
            // Inconsistent catalog: items add up to 5000 but the promotion costs 3000. Falls back to the items' sum.
            Case {
                name: "items above total never go negative",
                paid: 3000,
                total: 3000,
                items: &[(2500, 1), (2500, 1)],
                expected: &[1500, 1500],
            },
        ];
        for case in cases {
            let got = split(case.paid, case.total, case.items).unwrap();
            assert_eq!(got, case.expected, "{}", case.name);
            assert_eq!(got.iter().sum::<i64>(), case.paid, "{} sums to paid", case.name);
        }
    }

    #[test]
    fn r1_split_rejects_bad_input() {
        assert_eq!(split(-1, 100, &[(100, 1)]), Err(SplitError::NegativePaid));
        assert_eq!(split(1, -100, &[(100, 1)]), Err(SplitError::NegativeTotal));
        assert_eq!(split(1, 100, &[]), Err(SplitError::NoItems));
        assert_eq!(split(1, 100, &[(-5, 1)]), Err(SplitError::NegativePrice));
    }

    #[test]
    fn r1_split_is_exact_on_large_amounts() {
        // f64 would lose the last digits here; integer arithmetic does not.
        let paid = 9_007_199_254_740_993;
        let got = split(paid, paid, &[(paid, 1)]).unwrap();
        assert_eq!(got, [paid]);
    }

    proptest! {
        #[test]
        fn r1_split_never_negative_and_sums_to_paid(
            paid in 0i64..10_000_000,
            total in 0i64..10_000_000,
            prices in proptest::collection::vec((0i64..100_000, 1u32..20), 1..8),
        ) {
            let got = split(paid, total, &prices).unwrap();
            prop_assert_eq!(got.len(), prices.len());
            prop_assert!(got.iter().all(|a| *a >= 0));
            prop_assert_eq!(got.iter().sum::<i64>(), paid);
        }
    }
}
