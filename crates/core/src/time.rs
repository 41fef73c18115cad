//! Business dates and the clock.
//!
//! Timestamps are stored in UTC. Business dates ("today", deduct days, due dates) are calendar dates in the
//! configured business time zone (default `Asia/Taipei`). Pure rules take a `NaiveDate`, never a clock; only
//! the edges (jobs, resolvers) ask a [`Clock`] what day it is, so that tests and `--as-of` can pin it.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The default business time zone.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Taipei;

/// Where "now" comes from: the system clock, or a fixed instant (tests, `--as-of` runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// Always this instant.
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => *at,
        }
    }
}

/// Turns instants into business dates in one time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusinessCalendar {
    zone: Tz,
}

impl BusinessCalendar {
    /// A calendar in `zone`.
    pub const fn new(zone: Tz) -> Self {
        BusinessCalendar { zone }
    }

    /// The business time zone.
    pub const fn zone(&self) -> Tz {
        self.zone
    }

    /// The business date of an instant.
    pub fn date_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The first instant of business date `date`.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        use chrono::TimeZone;
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        // Where a DST jump skips midnight, the day starts at the first local time that exists.
        [midnight, midnight + chrono::Duration::hours(1)]
            .iter()
            .find_map(|local| self.zone.from_local_datetime(local).earliest())
            .map_or_else(|| Utc.from_utc_datetime(&midnight), |local| local.with_timezone(&Utc))
    }

    /// Today's business date according to `clock`.
    pub fn today(&self, clock: &Clock) -> NaiveDate {
        self.date_of(clock.now())
    }
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        BusinessCalendar::new(DEFAULT_TIME_ZONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn business_date_is_taken_in_the_business_zone() {
        // 16:30 UTC on Oct 31 is already Nov 1 in Taipei (UTC+8): the seed's cut-over moment.
        let at = Utc.with_ymd_and_hms(2020, 10, 31, 16, 30, 0).unwrap();
        let taipei = BusinessCalendar::default();
        assert_eq!(taipei.date_of(at), NaiveDate::from_ymd_opt(2020, 11, 1).unwrap());
        let utc = BusinessCalendar::new(chrono_tz::UTC);
        assert_eq!(utc.date_of(at), NaiveDate::from_ymd_opt(2020, 10, 31).unwrap());
    }

    #[test]
    fn a_business_day_starts_at_local_midnight() {
        let taipei = BusinessCalendar::default();
        let day = NaiveDate::from_ymd_opt(2020, 11, 1).unwrap();
        assert_eq!(taipei.start_of(day), Utc.with_ymd_and_hms(2020, 10, 31, 16, 0, 0).unwrap());
        assert_eq!(taipei.date_of(taipei.start_of(day)), day);
    }

    #[test]
    fn fixed_clock_pins_today() {
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap();
        let clock = Clock::Fixed(at);
        assert_eq!(clock.now(), at);
        assert_eq!(BusinessCalendar::default().today(&clock), NaiveDate::from_ymd_opt(2026, 1, 31).unwrap());
    }
}
