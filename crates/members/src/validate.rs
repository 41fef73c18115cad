//! Field rules of member and customer input. Every function returns the value to store (trimmed) or an
//! error naming the field.

use crate::MembersError;

/// Longest JSON profile block accepted, serialised (`nineOneMemberInfo`, `tradeVanMemberInfo`).
pub const MAX_PROFILE_BYTES: usize = 8 * 1024;

/// A trimmed, non-empty text of at most `max` characters without control characters.
pub fn text(field: &str, raw: &str, max: usize) -> Result<String, MembersError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(MembersError::invalid(field, "must not be empty (send null to clear it)"));
    }
    if value.chars().count() > max {
        return Err(MembersError::invalid(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(MembersError::invalid(field, "must not contain control characters"));
    }
    Ok(value.to_owned())
}

/// An e-mail address: `local@domain.tld`, at most 254 characters, no spaces.
pub fn email(field: &str, raw: &str) -> Result<String, MembersError> {
    let value = text(field, raw, 254)?;
    let bad = || MembersError::invalid(field, format!("{value:?} is not an e-mail address"));
    let (local, domain) = value.rsplit_once('@').ok_or_else(bad)?;
    let labels: Vec<&str> = domain.split('.').collect();
    let valid = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && !value.chars().any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';' | '"'));
    if valid { Ok(value) } else { Err(bad()) }
}

/// A phone number: digits with optional `+` prefix, spaces, dashes, parentheses and `#` extension;
/// 6 to 20 digits.
pub fn phone(field: &str, raw: &str) -> Result<String, MembersError> {
    let value = text(field, raw, 32)?;
    let body = value.strip_prefix('+').unwrap_or(&value);
    let allowed = body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '#'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if allowed && (6..=20).contains(&digits) {
        Ok(value)
    } else {
        Err(MembersError::invalid(field, format!("{value:?} is not a phone number")))
    }
}

/// A customer number: 1 to 32 letters, digits, `-` or `_`.
pub fn customer_no(field: &str, raw: &str) -> Result<String, MembersError> {
    let value = raw.trim();
    if value.is_empty()
        || value.len() > 32
        || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(MembersError::invalid(field, format!("{value:?} must be 1-32 letters, digits, - or _")));
    }
    Ok(value.to_owned())
}

/// A profile block serialised, refused beyond [`MAX_PROFILE_BYTES`].
pub fn profile_json(field: &str, value: &impl serde::Serialize) -> Result<String, MembersError> {
    let json = serde_json::to_string(value)
        .map_err(|e| MembersError::invalid(field, format!("cannot be stored: {e}")))?;
    if json.len() > MAX_PROFILE_BYTES {
        return Err(MembersError::invalid(
            field,
            format!("is {} bytes; at most {MAX_PROFILE_BYTES} are accepted", json.len()),
        ));
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in ["sun1229@gmail.com", "sun1229+91app@gmail.com", " a.b@c.com.tw ", "x@例え.jp"] {
            assert!(email("email", good).is_ok(), "{good}");
        }
        for bad in
            ["", "sun", "sun@", "@gmail.com", "sun@gmail", "a b@c.com", "a@b..com", "a@-b.com", "a@b.com>"]
        {
            let err = email("email", bad).unwrap_err().to_string();
            assert!(err.starts_with("email: "), "{bad}: {err}");
        }
        assert_eq!(email("email", " a@b.co ").unwrap(), "a@b.co");
    }

    #[test]
    fn phones() {
        for good in ["0912345678", "+886 912-345-678", "(02) 2662-0332#123"] {
            assert!(phone("phone", good).is_ok(), "{good}");
        }
        for bad in ["12345", "09123abc78", "+886+912345678", "123456789012345678901"] {
            assert!(phone("phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn customer_numbers_and_texts() {
        assert_eq!(customer_no("customerNo", " A0012345 ").unwrap(), "A0012345");
        assert!(customer_no("customerNo", "A 1").is_err());
        assert!(customer_no("customerNo", &"9".repeat(33)).is_err());
        assert!(text("name", "  ", 10).is_err());
        assert!(text("name", "abcdefghijk", 10).is_err());
        assert!(text("name", "a\u{0}b", 10).is_err());
    }

    #[test]
    fn oversized_profiles_are_refused_with_the_field_named() {
        let big = serde_json::json!({ "address": "x".repeat(MAX_PROFILE_BYTES) });
        let err = profile_json("nineOneMemberInfo", &big).unwrap_err().to_string();
        assert!(err.starts_with("nineOneMemberInfo: is "), "{err}");
    }
}
