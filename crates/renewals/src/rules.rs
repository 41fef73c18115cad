//! Pure renewal rules: functions of values, no database, no clock.

use chrono::{Days, NaiveDate};
use std::collections::BTreeSet;

/// What R4 does with one pending renewal when a new one is about to be created for the same customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Supersede {
    /// N ⊇ O: create the new renewal; the existing one becomes SUPERSEDED.
    ReplaceExisting,
    /// N ⊊ O: create nothing; the existing renewal's deduct date is recomputed.
    UpdateExistingOnly,
    /// Neither contains the other: create the new renewal and keep the existing one, rescheduled.
    KeepBoth,
}

/// **R4 (續訂單後蓋前)** for one pending renewal: compares the product-code set `new` (N) of the renewal
/// about to be created with the set `existing` (O) of a pending one.
pub fn supersede(existing: &BTreeSet<&str>, new: &BTreeSet<&str>) -> Supersede {
    if new.is_superset(existing) {
        Supersede::ReplaceExisting
    } else if new.is_subset(existing) {
        Supersede::UpdateExistingOnly
    } else {
        Supersede::KeepBoth
    }
}

/// **R5 deduct date:** the day before the earliest due date among the holder's entitlements for the
/// renewal's products (a digital due date, or the publish date of the first uncovered issue). `None` when
/// there is no due date at all.
pub fn deduct_date(due_dates: impl IntoIterator<Item = NaiveDate>) -> Option<NaiveDate> {
    due_dates.into_iter().min().and_then(|earliest| earliest.checked_sub_days(Days::new(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GCV: &str = "GCV"; // 天下
    const KCW: &str = "KCW"; // 全閱讀
    const GRV: &str = "GRV"; // 換日線
    const GMV: &str = "GMV"; // 微笑季刊

    fn set(codes: &[&'static str]) -> BTreeSet<&'static str> {
        codes.iter().copied().collect()
    }

    /// The five rows of seed 004's 續訂單後蓋前 table, in order.
    #[test]
    fn r4_supersede_seed_table() {
        let rows = [
            (set(&[GCV, KCW]), set(&[GCV, KCW]), Supersede::ReplaceExisting),
            (set(&[GCV]), set(&[GCV, KCW]), Supersede::ReplaceExisting),
            (set(&[GCV, KCW]), set(&[GCV, KCW, GRV]), Supersede::ReplaceExisting),
            (set(&[GCV, KCW, GRV]), set(&[GCV, KCW, GMV]), Supersede::KeepBoth),
            (set(&[GCV, KCW]), set(&[KCW]), Supersede::UpdateExistingOnly),
        ];
        for (existing, new, expected) in rows {
            assert_eq!(supersede(&existing, &new), expected, "O={existing:?} N={new:?}");
        }
    }

    #[test]
    fn r4_disjoint_sets_keep_both() {
        assert_eq!(supersede(&set(&[GCV]), &set(&[GMV])), Supersede::KeepBoth);
    }

    #[test]
    fn r5_deduct_date_is_the_day_before_the_earliest_due_date() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // Digital pass due Mar 1, magazine's first uncovered issue Feb 15: the magazine wins.
        assert_eq!(deduct_date([d(2027, 3, 1), d(2027, 2, 15)]), Some(d(2027, 2, 14)));
        // Across a month and a year end.
        assert_eq!(deduct_date([d(2027, 1, 1)]), Some(d(2026, 12, 31)));
        assert_eq!(deduct_date([d(2028, 3, 1)]), Some(d(2028, 2, 29)));
        assert_eq!(deduct_date([]), None);
    }
}
