//! Pure entitlement rules (R3): where a new term starts and ends against the issue calendar, how a pass's
//! due date moves by calendar months, and seniority. Functions of values only.

use catalog::Cadence;
use chrono::{Days, Months, NaiveDate};

/// One issue of a product's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Issue {
    /// Volume number (期數).
    pub volume: i32,
    /// Publish date (出刊日).
    pub publish_date: NaiveDate,
}

/// A product's issue calendar: its issues by volume, and the cadence that extends it past its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    issues: Vec<Issue>,
    cadence: Option<Cadence>,
}

/// Why a term cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The product has no issue at all to count from.
    #[error("the product has no issue calendar")]
    NoCalendar,
    /// A date past the calendar is needed and the product has no cadence to estimate it.
    #[error("the issue calendar ends before volume {0} and the product has no cadence to estimate it")]
    CalendarEnds(i32),
    /// The term is not positive.
    #[error("the term must be positive")]
    EmptyTerm,
}

/// A date on the calendar, possibly estimated from the cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    /// The date.
    pub date: NaiveDate,
    /// Computed from the cadence because the calendar does not reach it.
    pub estimated: bool,
}

impl Calendar {
    /// A calendar of `issues` (any order) with `cadence`.
    pub fn new(mut issues: Vec<Issue>, cadence: Option<Cadence>) -> Self {
        issues.sort_by_key(|i| i.volume);
        Calendar { issues, cadence }
    }

    fn last(&self) -> Result<Issue, RuleError> {
        self.issues.last().copied().ok_or(RuleError::NoCalendar)
    }

    /// The publish date of `volume`: from the calendar, or estimated from the last issue and the cadence.
    pub fn date_of(&self, volume: i32) -> Result<Dated, RuleError> {
        if let Ok(index) = self.issues.binary_search_by_key(&volume, |i| i.volume) {
            return Ok(Dated { date: self.issues[index].publish_date, estimated: false });
        }
        // Past the end of the calendar (or a hole in it): count from the last issue.
        self.step(self.last()?, volume)
    }

    fn step(&self, from: Issue, volume: i32) -> Result<Dated, RuleError> {
        let steps = i64::from(volume) - i64::from(from.volume);
        let cadence = self.cadence.ok_or(RuleError::CalendarEnds(volume))?;
        let date = match cadence {
            Cadence::Days(days) => {
                from.publish_date.checked_add_signed(chrono::Duration::days(steps * i64::from(days)))
            }
            Cadence::Months(months) => {
                let total = steps * i64::from(months);
                let magnitude = Months::new(u32::try_from(total.unsigned_abs()).unwrap_or(u32::MAX));
                if total >= 0 {
                    from.publish_date.checked_add_months(magnitude)
                } else {
                    from.publish_date.checked_sub_months(magnitude)
                }
            }
        };
        date.map(|date| Dated { date, estimated: true }).ok_or(RuleError::CalendarEnds(volume))
    }

    /// The last issue of the calendar published on or before `date`, `None` when none is.
    pub fn last_published_by(&self, date: NaiveDate) -> Option<i32> {
        self.issues.iter().rev().find(|i| i.publish_date <= date).map(|i| i.volume)
    }

    /// The first issue published on or after `date` (estimated past the end of the calendar).
    pub fn first_on_or_after(&self, date: NaiveDate) -> Result<(i32, Dated), RuleError> {
        if let Some(issue) = self.issues.iter().find(|i| i.publish_date >= date) {
            return Ok((issue.volume, Dated { date: issue.publish_date, estimated: false }));
        }
        let last = self.last()?;
        let mut volume = last.volume;
        loop {
            volume += 1;
            let dated = self.step(last, volume)?;
            if dated.date >= date {
                return Ok((volume, dated));
            }
        }
    }
}

/// What a holder already has of a VOLUME product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covered {
    /// The last volume covered.
    pub end_volume: i32,
    /// The publish date of the first volume not covered.
    pub right_due_date: NaiveDate,
}

/// A VOLUME term: the seed's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeTerm {
    /// First volume of the term (權益起期).
    pub start_volume: i32,
    /// Its publish date (權益起日).
    pub start_volume_date: NaiveDate,
    /// Last volume (截訂期).
    pub end_volume: i32,
    /// Its publish date (截訂日).
    pub end_volume_date: NaiveDate,
    /// Publish date of `end_volume + 1`: the holder is covered until then.
    pub right_due_date: NaiveDate,
    /// Some date came from the cadence, not the calendar.
    pub estimated: bool,
}

/// **R3, VOLUME:** the term of `issues` issues bought on business date `paid_on` by a holder who has
/// `current`. A holder still covered (`rightDueDate` after `paid_on`) continues at `endVolume + 1`;
/// otherwise the term starts at the first issue published on or after `paid_on`.
/// `endVolumeDate = publishDate(endVolume)`, `rightDueDate = publishDate(endVolume + 1)` (seed SQL).
pub fn volume_term(
    calendar: &Calendar,
    current: Option<Covered>,
    paid_on: NaiveDate,
    issues: i32,
) -> Result<VolumeTerm, RuleError> {
    if issues <= 0 {
        return Err(RuleError::EmptyTerm);
    }
    let (start_volume, start) = match current {
        Some(covered) if covered.right_due_date > paid_on => {
            let start_volume = covered.end_volume + 1;
            (start_volume, calendar.date_of(start_volume)?)
        }
        _ => calendar.first_on_or_after(paid_on)?,
    };
    let end_volume = start_volume + issues - 1;
    let end = calendar.date_of(end_volume)?;
    let due = calendar.date_of(end_volume + 1)?;
    Ok(VolumeTerm {
        start_volume,
        start_volume_date: start.date,
        end_volume,
        end_volume_date: end.date,
        right_due_date: due.date,
        estimated: start.estimated || end.estimated || due.estimated,
    })
}

/// A PERIOD term length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Calendar months.
    Months(u32),
    /// Days.
    Days(u32),
}

/// `date` plus `months` calendar months, clamped to the end of a shorter month (Jan 31 + 1 month = Feb 28,
/// or 29 in a leap year).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

/// **R3, PERIOD:** the new due date of a pass: `max(today, current due date) + term`.
pub fn period_due(current_due: Option<NaiveDate>, today: NaiveDate, term: Period) -> NaiveDate {
    let from = current_due.map_or(today, |due| due.max(today));
    match term {
        Period::Months(months) => add_months(from, months),
        Period::Days(days) => from.checked_add_days(Days::new(u64::from(days))).unwrap_or(NaiveDate::MAX),
    }
}

/// Seniority (年資) in thousandths of a year that a term adds: months / 12, days / 365, or issues × the
/// cadence, rounded to the nearest thousandth.
pub fn seniority_thousandths(term: SeniorityTerm) -> i64 {
    let (numerator, denominator) = match term {
        SeniorityTerm::Months(m) => (i64::from(m) * 1000, 12),
        SeniorityTerm::Days(d) => (i64::from(d) * 1000, 365),
        SeniorityTerm::Issues(n, Cadence::Days(days)) => (i64::from(n) * i64::from(days) * 1000, 365),
        SeniorityTerm::Issues(n, Cadence::Months(months)) => (i64::from(n) * i64::from(months) * 1000, 12),
    };
    (numerator + denominator / 2) / denominator
}

/// A term as seniority counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeniorityTerm {
    /// Calendar months.
    Months(u32),
    /// Days.
    Days(u32),
    /// Issues at a cadence.
    Issues(u32, Cadence),
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn is_month_end(date: NaiveDate) -> bool {
        date.succ_opt().is_none_or(|next| next.day() == 1)
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// 天下: every 14 days from volume 771 on 2023-04-19 (seed 004), calendar known up to 775.
    fn gcv() -> Calendar {
        let issues = (0..5)
            .map(|i| Issue {
                volume: 771 + i,
                publish_date: d(2023, 4, 19) + chrono::Duration::days(14 * i64::from(i)),
            })
            .collect();
        Calendar::new(issues, Some(Cadence::Days(14)))
    }

    #[test]
    fn r3_volume_new_holder_starts_at_the_first_issue_on_or_after_payment() {
        let term = volume_term(&gcv(), None, d(2023, 4, 20), 2).unwrap();
        assert_eq!((term.start_volume, term.start_volume_date), (772, d(2023, 5, 3)));
        assert_eq!((term.end_volume, term.end_volume_date), (773, d(2023, 5, 17)));
        assert_eq!(term.right_due_date, d(2023, 5, 31));
        assert!(!term.estimated);
        // Paid on an issue's publish day: that issue is the first.
        assert_eq!(volume_term(&gcv(), None, d(2023, 4, 19), 1).unwrap().start_volume, 771);
    }

    #[test]
    fn r3_volume_current_holder_continues_and_lapsed_holder_restarts() {
        let covered = Covered { end_volume: 772, right_due_date: d(2023, 5, 17) };
        let current = volume_term(&gcv(), Some(covered), d(2023, 4, 20), 2).unwrap();
        assert_eq!((current.start_volume, current.end_volume), (773, 774));
        // The due date passed: the term starts afresh from the payment date.
        let lapsed = Covered { end_volume: 771, right_due_date: d(2023, 5, 3) };
        let restarted = volume_term(&gcv(), Some(lapsed), d(2023, 5, 10), 1).unwrap();
        assert_eq!((restarted.start_volume, restarted.start_volume_date), (773, d(2023, 5, 17)));
        // Due exactly on the payment day is no longer covered (rightDueDate must be *after* it).
        let edge = Covered { end_volume: 772, right_due_date: d(2023, 5, 17) };
        assert_eq!(volume_term(&gcv(), Some(edge), d(2023, 5, 17), 1).unwrap().start_volume, 773);
    }

    #[test]
    fn r3_volume_past_the_calendar_is_estimated_from_the_cadence() {
        let term = volume_term(&gcv(), None, d(2023, 5, 20), 26).unwrap();
        assert_eq!((term.start_volume, term.start_volume_date), (774, d(2023, 5, 31)));
        assert_eq!(term.end_volume, 799);
        assert_eq!(term.end_volume_date, d(2023, 4, 19) + chrono::Duration::days(14 * 28));
        assert!(term.estimated);
        // Monthly magazine across the year end.
        let monthly = Calendar::new(
            vec![Issue { volume: 500, publish_date: d(2026, 11, 1) }],
            Some(Cadence::Months(1)),
        );
        let term = volume_term(&monthly, None, d(2026, 11, 2), 3).unwrap();
        assert_eq!(
            (term.start_volume_date, term.end_volume_date, term.right_due_date),
            (d(2026, 12, 1), d(2027, 2, 1), d(2027, 3, 1))
        );
        let no_cadence = Calendar::new(vec![Issue { volume: 1, publish_date: d(2026, 1, 1) }], None);
        assert_eq!(volume_term(&no_cadence, None, d(2026, 1, 1), 2), Err(RuleError::CalendarEnds(2)));
        assert_eq!(
            volume_term(&Calendar::new(vec![], None), None, d(2026, 1, 1), 1),
            Err(RuleError::NoCalendar)
        );
    }

    #[test]
    fn r3_period_month_end_arithmetic() {
        assert_eq!(add_months(d(2026, 1, 31), 1), d(2026, 2, 28));
        assert_eq!(add_months(d(2028, 1, 31), 1), d(2028, 2, 29));
        assert_eq!(add_months(d(2026, 8, 31), 12), d(2027, 8, 31));
        assert!(is_month_end(add_months(d(2026, 3, 31), 1)));
        // Still covered: extends from the current due date; expired: from today.
        assert_eq!(period_due(Some(d(2026, 12, 31)), d(2026, 11, 22), Period::Months(12)), d(2027, 12, 31));
        assert_eq!(period_due(Some(d(2026, 1, 1)), d(2026, 11, 22), Period::Months(1)), d(2026, 12, 22));
        assert_eq!(period_due(None, d(2026, 11, 22), Period::Days(7)), d(2026, 11, 29));
    }

    #[test]
    fn r3_seniority_grows_by_the_term() {
        assert_eq!(seniority_thousandths(SeniorityTerm::Months(12)), 1000);
        assert_eq!(seniority_thousandths(SeniorityTerm::Months(1)), 83);
        assert_eq!(seniority_thousandths(SeniorityTerm::Issues(26, Cadence::Days(14))), 997);
        assert_eq!(seniority_thousandths(SeniorityTerm::Issues(12, Cadence::Months(1))), 1000);
        assert_eq!(seniority_thousandths(SeniorityTerm::Days(7)), 19);
    }
}
