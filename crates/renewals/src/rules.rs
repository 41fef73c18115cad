//! Pure renewal rules: functions of values, no database, no clock.

use chrono::{Days, NaiveDate};
use payments::ChargeOutcome;
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

/// **R9 retry schedule:** the day of the automatic retry after failed attempt `attempt` (1 = the first
/// charge of the cycle): the `attempt`-th entry of `retry_days` counted from the cycle's first failure,
/// if still after `as_of`. `None` once the schedule is used up.
pub fn next_retry(
    retry_days: &[u32],
    failed_on: NaiveDate,
    attempt: i32,
    as_of: NaiveDate,
) -> Option<NaiveDate> {
    usize::try_from(attempt - 1)
        .ok()
        .and_then(|i| retry_days.get(i))
        .and_then(|days| failed_on.checked_add_days(Days::new(u64::from(*days))))
        .filter(|day| *day > as_of)
}

/// How a charge attempt with a decided answer settles (R9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Charged: the renewal is EXECUTED, the payment recorded and the next cycle created.
    Executed {
        /// The gateway's transaction id.
        transaction_id: String,
    },
    /// Refused: the renewal is FAILED, the payer asked for a new card.
    Failed {
        /// The gateway's reason (or `NO_PAYMENT_METHOD`).
        reason: String,
        /// The cycle's first failure (kept across retries: the schedule counts from it).
        failed_on: NaiveDate,
        /// The next automatic retry, if the schedule has one left.
        next_retry_on: Option<NaiveDate>,
    },
}

/// **R9 settlement:** what attempt `attempt` of a renewal first failed on `first_failed_on` (none yet)
/// becomes with the gateway's `outcome`, on business day `as_of`.
pub fn settlement(
    outcome: &ChargeOutcome,
    attempt: i32,
    first_failed_on: Option<NaiveDate>,
    as_of: NaiveDate,
    retry_days: &[u32],
) -> Settlement {
    match outcome {
        ChargeOutcome::Approved { transaction_id } => {
            Settlement::Executed { transaction_id: transaction_id.clone() }
        }
        ChargeOutcome::Declined { reason } => {
            let failed_on = first_failed_on.unwrap_or(as_of);
            Settlement::Failed {
                reason: reason.clone(),
                failed_on,
                next_retry_on: next_retry(retry_days, failed_on, attempt, as_of),
            }
        }
    }
}

/// The reason of a charge that cannot be made: the renewal has no card on file (R14 imports without a
/// gateway token).
pub const NO_PAYMENT_METHOD: &str = "NO_PAYMENT_METHOD";

/// **R17:** the follow-up a settlement opens, if any: a renewal without a card needs the payer at once;
/// a decline with no automatic retry left needs a person.
pub fn follow_up_of(settlement: &Settlement) -> Option<followups::Kind> {
    match settlement {
        Settlement::Executed { .. } => None,
        Settlement::Failed { reason, .. } if reason == NO_PAYMENT_METHOD => {
            Some(followups::Kind::NoPaymentMethod)
        }
        Settlement::Failed { next_retry_on: None, .. } => Some(followups::Kind::RenewalFailedFinal),
        Settlement::Failed { .. } => None,
    }
}

/// The reason of a renewal whose plan was retired with no successor on sale (R18).
pub const PLAN_RETIRED: &str = "PLAN_RETIRED";

/// Where a renewal of a plan goes at its next charge (R18).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanFate {
    /// The plan is on sale: charged as it is.
    Keep,
    /// The plan is retired: the renewal moves to this successor (the first plan on sale along the
    /// retired plans' `renewalPromotionCode`s), at its own price.
    MoveTo(String),
    /// Retired with no successor on sale: the renewal fails with [`PLAN_RETIRED`].
    Retired,
}

/// **R18** for a renewal of plan `code`: `plan(code)` is the stored plan's (on sale, renewable, its
/// `renewalPromotionCode`), `None` for an unknown code. A chain that loops or runs past 8 plans ends as
/// retired.
pub fn plan_fate<'a>(code: &str, plan: impl Fn(&str) -> Option<(bool, bool, Option<&'a str>)>) -> PlanFate {
    let mut current = code.to_owned();
    let mut seen = BTreeSet::new();
    for _ in 0..8 {
        let Some((on_sale, renewable, next)) = plan(&current) else { return PlanFate::Retired };
        if on_sale && renewable {
            return if current == code { PlanFate::Keep } else { PlanFate::MoveTo(current) };
        }
        seen.insert(current.clone());
        match next.filter(|n| !seen.contains(*n)) {
            Some(next) => current = next.to_owned(),
            None => return PlanFate::Retired,
        }
    }
    PlanFate::Retired
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r18_a_retired_plan_moves_to_its_first_successor_on_sale_or_is_retired() {
        // (code, on sale, renewable, renewalPromotionCode)
        let catalog = [
            ("ON", true, true, None),
            ("OLD", false, true, Some("NEW")),
            ("NEW", true, true, None),
            ("OLDER", false, true, Some("OLD")),
            ("END", false, true, None),
            ("LOOP1", false, true, Some("LOOP2")),
            ("LOOP2", false, true, Some("LOOP1")),
            ("TO_ONEOFF", false, true, Some("ONEOFF")),
            ("ONEOFF", true, false, None),
            ("SELF", false, true, Some("SELF")),
        ];
        let plan = |code: &str| catalog.iter().find(|p| p.0 == code).map(|p| (p.1, p.2, p.3));
        assert_eq!(plan_fate("ON", plan), PlanFate::Keep);
        assert_eq!(plan_fate("OLD", plan), PlanFate::MoveTo("NEW".into()));
        assert_eq!(plan_fate("OLDER", plan), PlanFate::MoveTo("NEW".into()), "through two retired plans");
        for retired in ["END", "LOOP1", "TO_ONEOFF", "SELF", "UNKNOWN"] {
            assert_eq!(plan_fate(retired, plan), PlanFate::Retired, "{retired}");
        }
    }

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
        // Digital pass due Mar 1, magazine's first uncovered issue Feb 15: the magazine wins.
        assert_eq!(deduct_date([d(2027, 3, 1), d(2027, 2, 15)]), Some(d(2027, 2, 14)));
        // Across a month and a year end.
        assert_eq!(deduct_date([d(2027, 1, 1)]), Some(d(2026, 12, 31)));
        assert_eq!(deduct_date([d(2028, 3, 1)]), Some(d(2028, 2, 29)));
        assert_eq!(deduct_date([]), None);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The retry schedule [1, 3, 7] days after the first failure, attempt by attempt.
    #[test]
    fn r9_retry_schedule_table() {
        let days = [1, 3, 7];
        let failed = d(2027, 1, 10);
        let rows = [
            // (attempt that failed, as_of, next retry)
            (1, d(2027, 1, 10), Some(d(2027, 1, 11))),
            (2, d(2027, 1, 11), Some(d(2027, 1, 13))),
            (3, d(2027, 1, 13), Some(d(2027, 1, 17))),
            (4, d(2027, 1, 17), None),  // schedule used up
            (2, d(2027, 1, 20), None),  // a retry day already past is not scheduled
            (2, d(2027, 1, 13), None),  // … nor one falling on as_of itself
            (0, d(2027, 1, 10), None),  // no attempt, no retry
            (-3, d(2027, 1, 10), None), // nonsense attempt numbers never panic
        ];
        for (attempt, as_of, expected) in rows {
            assert_eq!(next_retry(&days, failed, attempt, as_of), expected, "attempt {attempt} on {as_of}");
        }
        assert_eq!(next_retry(&[], failed, 1, failed), None, "no retries configured");
        // Across a month end.
        assert_eq!(next_retry(&[7], d(2027, 1, 28), 1, d(2027, 1, 28)), Some(d(2027, 2, 4)));
    }

    #[test]
    fn r9_settlement_of_each_answer() {
        let today = d(2027, 1, 10);
        let approved = ChargeOutcome::Approved { transaction_id: "sim_1".into() };
        assert_eq!(
            settlement(&approved, 3, Some(d(2027, 1, 5)), today, &[1, 3]),
            Settlement::Executed { transaction_id: "sim_1".into() }
        );
        let declined = ChargeOutcome::Declined { reason: "card_declined".into() };
        assert_eq!(
            settlement(&declined, 1, None, today, &[1, 3]),
            Settlement::Failed {
                reason: "card_declined".into(),
                failed_on: today,
                next_retry_on: Some(d(2027, 1, 11))
            },
            "a first failure starts the schedule today"
        );
        assert_eq!(
            settlement(&declined, 2, Some(d(2027, 1, 9)), today, &[1, 3]),
            Settlement::Failed {
                reason: "card_declined".into(),
                failed_on: d(2027, 1, 9),
                next_retry_on: Some(d(2027, 1, 12))
            },
            "a retry keeps the cycle's first failure day"
        );
        assert_eq!(
            settlement(&declined, 3, Some(d(2027, 1, 9)), today, &[1, 3]),
            Settlement::Failed {
                reason: "card_declined".into(),
                failed_on: d(2027, 1, 9),
                next_retry_on: None
            },
        );
    }

    #[test]
    fn r17_which_settlement_opens_a_follow_up() {
        let failed = |reason: &str, next: Option<NaiveDate>| Settlement::Failed {
            reason: reason.into(),
            failed_on: d(2027, 1, 9),
            next_retry_on: next,
        };
        let cases = [
            (Settlement::Executed { transaction_id: "sim_1".into() }, None),
            (failed("card_declined", Some(d(2027, 1, 12))), None),
            (failed("card_declined", None), Some(followups::Kind::RenewalFailedFinal)),
            (failed(NO_PAYMENT_METHOD, Some(d(2027, 1, 12))), Some(followups::Kind::NoPaymentMethod)),
            (failed(NO_PAYMENT_METHOD, None), Some(followups::Kind::NoPaymentMethod)),
        ];
        for (settlement, expected) in cases {
            assert_eq!(follow_up_of(&settlement), expected, "{settlement:?}");
        }
    }
}
