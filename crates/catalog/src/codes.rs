//! [`ProductCodes`]: the set of product codes a plan renews, sorted and without duplicates. Stored as
//! comma-separated text (`GCV,KCW`); a stored value with an empty or malformed code is an error where it
//! is read, never a silently shorter set.

use std::collections::BTreeSet;
use std::fmt;

/// A set of product codes (產品代碼).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductCodes(BTreeSet<String>);

impl ProductCodes {
    /// The codes of stored text: `""` is the empty set; each code is 1–32 letters, digits, `-` or `_`.
    pub fn parse(stored: &str) -> Result<ProductCodes, String> {
        if stored.is_empty() {
            return Ok(ProductCodes::default());
        }
        stored
            .split(',')
            .map(|code| {
                let valid = !code.is_empty()
                    && code.len() <= 32
                    && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if valid {
                    Ok(code.to_owned())
                } else {
                    Err(format!("{stored:?} is not a list of product codes"))
                }
            })
            .collect::<Result<BTreeSet<String>, String>>()
            .map(ProductCodes)
    }

    /// Whether `code` is one of them.
    pub fn contains(&self, code: &str) -> bool {
        self.0.contains(code)
    }

    /// The codes in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The codes as a list, in order.
    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

impl fmt::Display for ProductCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, code) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(code)?;
        }
        Ok(())
    }
}

impl<S: Into<String>> FromIterator<S> for ProductCodes {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        ProductCodes(iter.into_iter().map(Into::into).collect())
    }
}

impl From<BTreeSet<String>> for ProductCodes {
    fn from(codes: BTreeSet<String>) -> Self {
        ProductCodes(codes)
    }
}

impl serde::Serialize for ProductCodes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl From<ProductCodes> for sea_orm::Value {
    fn from(codes: ProductCodes) -> sea_orm::Value {
        sea_orm::Value::String(Some(codes.to_string()))
    }
}

impl sea_orm::TryGetable for ProductCodes {
    fn try_get_by<I: sea_orm::ColIdx>(
        res: &sea_orm::QueryResult,
        index: I,
    ) -> Result<Self, sea_orm::TryGetError> {
        let stored = <String as sea_orm::TryGetable>::try_get_by(res, index)?;
        ProductCodes::parse(&stored).map_err(|e| sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(e)))
    }
}

impl sea_orm::sea_query::ValueType for ProductCodes {
    fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
        match v {
            sea_orm::Value::String(Some(stored)) => {
                ProductCodes::parse(&stored).map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }
            _ => Err(sea_orm::sea_query::ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "ProductCodes".to_owned()
    }

    fn array_type() -> sea_orm::sea_query::ArrayType {
        sea_orm::sea_query::ArrayType::String
    }

    fn column_type() -> sea_orm::sea_query::ColumnType {
        sea_orm::sea_query::ColumnType::Text
    }
}

impl sea_orm::sea_query::Nullable for ProductCodes {
    fn null() -> sea_orm::Value {
        sea_orm::Value::String(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_a_sorted_set_and_round_trip_through_their_stored_text() {
        let codes: ProductCodes = ["KCW", "GCV", "KCW"].into_iter().collect();
        assert_eq!(codes.to_string(), "GCV,KCW");
        assert_eq!(ProductCodes::parse("GCV,KCW").unwrap(), codes);
        assert!(codes.contains("GCV") && !codes.contains("GC"));
        assert_eq!(ProductCodes::parse("").unwrap(), ProductCodes::default());
        assert_eq!(serde_json::to_value(&codes).unwrap(), serde_json::json!(["GCV", "KCW"]));
    }

    #[test]
    fn malformed_stored_text_is_an_error_not_a_shorter_set() {
        for bad in ["GCV,", ",GCV", "GCV,,KCW", "GC V", "GCV;KCW"] {
            assert!(ProductCodes::parse(bad).is_err(), "{bad:?}");
        }
    }
}
