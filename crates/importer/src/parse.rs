//! Field parsers for the legacy exports. Each returns the reason a value is refused, which becomes the
//! row's reason in the rejects file.

use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use platform_core::BusinessCalendar;

/// A date as the ERP and SQL Server export it: `2023/4/19`, `2023-04-19`, optionally with a time
/// (`2020-10-23 12:34:56.123`), which is dropped.
pub(crate) fn date(column: &str, raw: &str) -> Result<NaiveDate, String> {
    let day = raw.split([' ', 'T']).next().unwrap_or(raw);
    for format in ["%Y/%m/%d", "%Y-%m-%d", "%Y%m%d"] {
        if let Ok(date) = NaiveDate::parse_from_str(day, format) {
            return Ok(date);
        }
    }
    Err(format!("{column}: {raw:?} is not a date (YYYY/MM/DD or YYYY-MM-DD)"))
}

/// A timestamp in the business time zone (`2020-10-23 12:34:56[.fff]`, or a date, read as midnight).
pub(crate) fn local_time(
    column: &str,
    raw: &str,
    calendar: BusinessCalendar,
) -> Result<DateTime<Utc>, String> {
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y/%m/%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(calendar.start_of(local.date()) + local.time().signed_duration_since(NaiveTime::MIN));
        }
    }
    date(column, raw).map(|day| calendar.start_of(day))
}

/// A whole number.
pub(crate) fn int(column: &str, raw: &str) -> Result<i64, String> {
    let cleaned = raw.replace(',', "");
    let cleaned = cleaned.strip_suffix(".0").unwrap_or(&cleaned);
    cleaned.parse::<i64>().map_err(|_| format!("{column}: {raw:?} is not a whole number"))
}

/// A decimal with at most 3 places (年資 20.842) in thousandths.
pub(crate) fn thousandths(column: &str, raw: &str) -> Result<i64, String> {
    let refuse = || format!("{column}: {raw:?} is not a number with at most 3 decimals");
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse());
    }
    let negative = whole.starts_with('-');
    let whole: i64 = whole.trim_start_matches('-').parse().map_err(|_| refuse())?;
    let fraction: i64 = format!("{fraction:0<3}").parse().map_err(|_| refuse())?;
    let value = whole * 1000 + fraction;
    if negative {
        return Err(format!("{column}: {raw:?} is negative"));
    }
    Ok(value)
}

/// `Y`/`N` (also `1`/`0`, `true`/`false`).
pub(crate) fn yes_no(column: &str, raw: &str) -> Result<bool, String> {
    match raw.to_ascii_uppercase().as_str() {
        "Y" | "YES" | "1" | "TRUE" | "T" => Ok(true),
        "N" | "NO" | "0" | "FALSE" | "F" => Ok(false),
        _ => Err(format!("{column}: {raw:?} is not Y or N")),
    }
}

/// An e-mail address that SQL Server may have exported base64-encoded (seed 004 decodes `EMAIL` with
/// `xs:base64Binary`; exports without that step carry the encoded text). A value without `@` that decodes
/// to UTF-8 text with `@` is taken decoded.
pub(crate) fn maybe_base64_email(raw: &str) -> String {
    if raw.contains('@') {
        return raw.to_owned();
    }
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .map(|text| text.trim().to_owned())
        .filter(|text| text.contains('@'))
        .unwrap_or_else(|| raw.to_owned())
}

/// The last 4 digits of a card number as exported; the rest is never kept.
pub(crate) fn card_last4(column: &str, raw: &str) -> Result<String, String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 || raw.chars().any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-' || c == '*')) {
        return Err(format!("{column}: not a card number"));
    }
    Ok(digits[digits.len() - 4..].to_owned())
}

/// Free text under the live field rule (`members::validate::text`): trimmed, non-empty, at most `max`
/// characters, no control characters (so an address with a line break inside its quotes is refused, as the
/// API would refuse it).
pub(crate) fn text(column: &str, raw: &str, max: usize) -> Result<String, String> {
    members::validate::text(column, raw, max).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_exports_formats() {
        let day = NaiveDate::from_ymd_opt(2023, 4, 19);
        assert_eq!(date("D", "2023/4/19").ok(), day);
        assert_eq!(date("D", "2023-04-19").ok(), day);
        assert_eq!(date("D", "2023-04-19 00:00:00.000").ok(), day);
        assert!(date("D", "19/04/2023").is_err());
    }

    #[test]
    fn text_follows_the_live_field_rule() {
        assert_eq!(text("name", " 黃家豪 ", 200), Ok("黃家豪".to_owned()));
        assert_eq!(text("name", "黃家豪", 3), Ok("黃家豪".to_owned()));
        assert_eq!(text("name", "黃家豪", 2), Err("name: must be at most 2 characters".to_owned()));
        assert_eq!(
            text("address", "臺北市\n中正區", 300),
            Err("address: must not contain control characters".to_owned())
        );
    }

    #[test]
    fn seniority_is_kept_in_thousandths() {
        assert_eq!(thousandths("S", "20.842"), Ok(20_842));
        assert_eq!(thousandths("S", "1.7"), Ok(1_700));
        assert_eq!(thousandths("S", "3"), Ok(3_000));
        assert!(thousandths("S", "1.2345").is_err());
        assert!(thousandths("S", "-1").is_err());
        assert!(thousandths("S", "abc").is_err());
    }

    #[test]
    fn base64_emails_are_decoded_and_plain_ones_kept() {
        assert_eq!(maybe_base64_email("dG4xNjU4QHlhaG9vLmNvbS50dw=="), "tn1658@yahoo.com.tw");
        assert_eq!(maybe_base64_email("a@b.tw"), "a@b.tw");
        assert_eq!(maybe_base64_email("not-an-email"), "not-an-email");
    }

    #[test]
    fn only_the_last_four_digits_of_a_card_survive() {
        assert_eq!(card_last4("C", "4311-9522-2222-2222"), Ok("2222".to_owned()));
        assert_eq!(card_last4("C", "570224"), Ok("0224".to_owned()));
        assert!(card_last4("C", "12").is_err());
        assert!(card_last4("C", "abcd1234").is_err());
    }
}
