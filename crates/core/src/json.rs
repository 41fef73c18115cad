//! [`JsonText`]: a typed value stored as JSON in a text column. Written with serde; read back strictly,
//! so a stored value that no longer parses is an error where it is read, never a silent default.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// A `T` kept as JSON text (a renewal's receiver and invoice, an endpoint's event types).
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText<T> {
    value: T,
    text: String,
}

impl<T: Serialize> JsonText<T> {
    /// Serializes `value` once; the error is serde's (a map with non-string keys, a failing `Serialize`).
    pub fn new(value: T) -> Result<Self, serde_json::Error> {
        let text = serde_json::to_string(&value)?;
        Ok(JsonText { value, text })
    }
}

impl<T: DeserializeOwned> JsonText<T> {
    /// Parses stored `text`.
    pub fn parse(text: impl Into<String>) -> Result<Self, serde_json::Error> {
        let text = text.into();
        Ok(JsonText { value: serde_json::from_str(&text)?, text })
    }
}

impl<T> JsonText<T> {
    /// The value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The value, owned.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The stored text.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

impl<T: fmt::Debug> fmt::Debug for JsonText<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T> From<JsonText<T>> for sea_orm::Value {
    fn from(json: JsonText<T>) -> sea_orm::Value {
        sea_orm::Value::String(Some(json.text))
    }
}

fn unreadable<T>(err: &serde_json::Error) -> String {
    format!("stored {} is not valid JSON of its type: {err}", std::any::type_name::<T>())
}

impl<T: DeserializeOwned> sea_orm::TryGetable for JsonText<T> {
    fn try_get_by<I: sea_orm::ColIdx>(
        res: &sea_orm::QueryResult,
        index: I,
    ) -> Result<Self, sea_orm::TryGetError> {
        let text = <String as sea_orm::TryGetable>::try_get_by(res, index)?;
        JsonText::parse(text)
            .map_err(|e| sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(unreadable::<T>(&e))))
    }
}

impl<T: DeserializeOwned> sea_orm::sea_query::ValueType for JsonText<T> {
    fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
        match v {
            sea_orm::Value::String(Some(text)) => {
                JsonText::parse(text).map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }
            _ => Err(sea_orm::sea_query::ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "JsonText".to_owned()
    }

    fn array_type() -> sea_orm::sea_query::ArrayType {
        sea_orm::sea_query::ArrayType::String
    }

    fn column_type() -> sea_orm::sea_query::ColumnType {
        sea_orm::sea_query::ColumnType::Text
    }
}

impl<T> sea_orm::sea_query::Nullable for JsonText<T> {
    fn null() -> sea_orm::Value {
        sea_orm::Value::String(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct Receiver {
        name: String,
    }

    #[test]
    fn a_value_round_trips_and_bad_text_is_an_error_not_a_default() {
        let json = JsonText::new(Receiver { name: "王小明".into() }).unwrap();
        assert_eq!(json.as_text(), r#"{"name":"王小明"}"#);
        let back = JsonText::<Receiver>::parse(json.as_text()).unwrap();
        assert_eq!(back, json);
        assert!(JsonText::<Receiver>::parse("{\"nom\":1}").is_err(), "another shape");
        assert!(JsonText::<Receiver>::parse("not json").is_err());
        let value = sea_orm::Value::from(json);
        let typed: JsonText<Receiver> = sea_orm::sea_query::ValueType::try_from(value).unwrap();
        assert_eq!(typed.get().name, "王小明");
    }
}
