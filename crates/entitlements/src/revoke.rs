//! **R19 revocation rules**, pure: what a cancelled or returned line takes back of its holder's
//! entitlement, always from the end of the coverage (the line's share is the last one served).
//! - VOLUME: the line's issues not yet published — at most the issues it granted, at most those still to
//!   come after the last published one.
//! - PERIOD: the unused part of the line's term — the due date moves back by the term, but never before
//!   today (what was used stays used); an expired pass loses nothing.

use crate::rules::Period;
use chrono::{Days, NaiveDate};

/// The new `endVolume` of a VOLUME entitlement ending at `end_volume` when a line of `issues` issues is
/// revoked and the last issue published by today is `last_published` (`None`: none yet).
pub fn volume_end_after_revoking(end_volume: i32, issues: u32, last_published: Option<i32>) -> i32 {
    let unpublished = match last_published {
        Some(last) => end_volume.saturating_sub(last).max(0),
        None => end_volume.max(0),
    };
    let taken = i32::try_from(issues).unwrap_or(i32::MAX).min(unpublished);
    end_volume - taken
}

/// The new `rightDueDate` of a PERIOD entitlement due on `due` when a line of `term` is revoked on `today`.
pub fn period_due_after_revoking(due: NaiveDate, term: Period, today: NaiveDate) -> NaiveDate {
    if due <= today {
        return due;
    }
    let start = match term {
        Period::Months(months) => {
            due.checked_sub_months(chrono::Months::new(months)).unwrap_or(NaiveDate::MIN)
        }
        Period::Days(days) => due.checked_sub_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MIN),
    };
    start.max(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r19_volume_revocation_takes_the_lines_unpublished_issues_from_the_end() {
        // (name, end volume, issues of the line, last published, new end)
        let cases = [
            ("one grant of 26, nothing published yet", 800, 26, Some(774), 774),
            ("one grant of 26, 10 published", 800, 26, Some(784), 784),
            ("two grants (52), the middle order's 26 returned, 10 published", 826, 26, Some(784), 800),
            ("three grants (78), the middle order's 26 returned", 852, 26, Some(784), 826),
            ("everything published: nothing to take", 800, 26, Some(800), 800),
            ("no issue published at all", 26, 26, None, 0),
        ];
        for (name, end, issues, last, expected) in cases {
            assert_eq!(volume_end_after_revoking(end, issues, last), expected, "{name}");
        }
    }

    #[test]
    fn r19_period_revocation_takes_the_unused_part_of_the_term() {
        let due = d(2027, 12, 1);
        let year = Period::Months(12);
        assert_eq!(
            period_due_after_revoking(due, year, d(2026, 12, 1)),
            d(2026, 12, 1),
            "cancelled on day 0"
        );
        assert_eq!(period_due_after_revoking(due, year, d(2027, 6, 1)), d(2027, 6, 1), "mid-term: today");
        assert_eq!(period_due_after_revoking(due, year, d(2028, 1, 1)), due, "after expiry: nothing");
        // A pass of two years, the later year's line revoked on day 0 of the pass: back by one year.
        assert_eq!(period_due_after_revoking(d(2028, 12, 1), year, d(2026, 12, 1)), d(2027, 12, 1));
        assert_eq!(period_due_after_revoking(due, Period::Days(30), d(2027, 1, 1)), d(2027, 11, 1));
    }
}
