//! The request guard: bounds a GraphQL request before the parser, the validator or a resolver spends
//! anything on it (SPEC §3, OWASP GraphQL cheat sheet).
//!
//! async-graphql's parser is recursive: a list or object value nested a few thousand levels deep in an
//! argument overflows a worker's stack and aborts the process; its depth check and validation rules expand
//! fragment spreads without memoising them, so fragments that each spread the previous one twice cost
//! 2^levels. Both are refused here, in time linear in the request's size:
//!
//! 1. [`scan`] reads the query text once, without parsing it: it counts tokens and tracks the nesting of
//!    `{`, `[` and `(`, so neither a deep value nor a flood of tokens reaches the parser;
//! 2. [`check_document`] then walks the parsed document once, counting the fields each fragment expands
//!    to (memoised, so a fragment is counted once however often it is spread), and checks every string
//!    the request carries (literals and variables): bounded length, no control characters.
//!
//! What this module must not do: decide anything about the schema (unknown fields, types and the
//! selection-depth and complexity limits stay with async-graphql, which runs after it).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Variables};
use async_graphql_value::{ConstValue, Value};
use std::collections::HashMap;

/// The bounds a request must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBounds {
    /// Most lexical tokens in the query text.
    pub max_tokens: usize,
    /// Deepest nesting of `{`, `[` and `(` in the query text, and of lists and objects in variables.
    pub max_nesting: usize,
    /// Most fields the operation selects once every fragment spread is expanded.
    pub max_fields: usize,
    /// Longest string input, in characters.
    pub max_string_chars: usize,
}

impl Default for RequestBounds {
    fn default() -> Self {
        RequestBounds { max_tokens: 5_000, max_nesting: 64, max_fields: 2_000, max_string_chars: 4_096 }
    }
}

/// Why a request was refused: the message the client reads (`BAD_USER_INPUT`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Checks the query text without parsing it: token count and bracket nesting. Strings, block strings and
/// comments are skipped as the GraphQL lexer would, so a `{` inside a string does not count.
pub fn scan(query: &str, bounds: &RequestBounds) -> Result<(), Refused> {
    let bytes = query.as_bytes();
    let (mut at, mut tokens, mut depth) = (0usize, 0usize, 0usize);
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => at += 1,
            b'#' => {
                at += 1;
                while bytes.get(at).is_some_and(|b| *b != b'\n' && *b != b'\r') {
                    at += 1;
                }
            }
            b'"' => {
                at = skip_string(bytes, at);
                tokens += 1;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > bounds.max_nesting {
                    return Err(Refused(format!(
                        "the query is nested more than {} levels deep",
                        bounds.max_nesting
                    )));
                }
                at += 1;
                tokens += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                at += 1;
                tokens += 1;
            }
            b if is_word(b) => {
                while bytes.get(at).copied().is_some_and(is_word) {
                    at += 1;
                }
                tokens += 1;
            }
            // Other punctuators and anything the parser will refuse on its own: one token per byte.
            _ => {
                at += 1;
                tokens += 1;
            }
        }
        if tokens > bounds.max_tokens {
            return Err(Refused(format!("the query has more than {} tokens", bounds.max_tokens)));
        }
    }
    Ok(())
}

/// Names, numbers, `...` and the byte sequences of non-ASCII text: one token per run.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'+') || byte >= 0x80
}

/// The index just past the string starting at `start` (a `"`): a block string `"""…"""` (where `\"""`
/// does not end it) or a one-line string with backslash escapes. An unterminated string runs to the end.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let block = bytes.get(start..start + 3) == Some(b"\"\"\"".as_slice());
    let mut at = start + if block { 3 } else { 1 };
    while let Some(&byte) = bytes.get(at) {
        if block {
            if bytes.get(at..at + 4) == Some(b"\\\"\"\"".as_slice()) {
                at += 4;
                continue;
            }
            if bytes.get(at..at + 3) == Some(b"\"\"\"".as_slice()) {
                return at + 3;
            }
            at += 1;
        } else {
            match byte {
                b'\\' => at += 2,
                b'"' => return at + 1,
                b'\n' | b'\r' => return at,
                _ => at += 1,
            }
        }
    }
    bytes.len()
}

/// Checks a parsed document and its variables: the fields of each operation after fragment expansion,
/// and every string input.
pub fn check_document(
    document: &ExecutableDocument,
    variables: &Variables,
    bounds: &RequestBounds,
) -> Result<(), Refused> {
    let mut expanded = Expansion { document, fragments: HashMap::new() };
    for (_, operation) in document.operations.iter() {
        let fields = expanded.fields(&operation.node.selection_set.node);
        if fields > bounds.max_fields {
            return Err(Refused(format!(
                "the query selects more than {} fields once its fragments are expanded",
                bounds.max_fields
            )));
        }
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value {
                check_const(&default.node, bounds, 0)?;
            }
        }
        check_selection_strings(&operation.node.selection_set.node, bounds)?;
    }
    for fragment in document.fragments.values() {
        check_selection_strings(&fragment.node.selection_set.node, bounds)?;
    }
    for (_, value) in variables.iter() {
        check_const(value, bounds, 0)?;
    }
    Ok(())
}

/// Counts fields after fragment expansion, each fragment once.
struct Expansion<'a> {
    document: &'a ExecutableDocument,
    /// `None` while a fragment is being counted: a spread that comes back to it is a cycle, which the
    /// validator refuses; here it counts nothing.
    fragments: HashMap<&'a str, Option<usize>>,
}

impl<'a> Expansion<'a> {
    fn fields(&mut self, set: &'a SelectionSet) -> usize {
        set.items.iter().fold(0usize, |total, item| {
            let here = match &item.node {
                Selection::Field(field) => 1usize.saturating_add(self.fields(&field.node.selection_set.node)),
                Selection::InlineFragment(inline) => self.fields(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => self.fragment(&spread.node.fragment_name.node),
            };
            total.saturating_add(here)
        })
    }

    fn fragment(&mut self, name: &'a Name) -> usize {
        if let Some(known) = self.fragments.get(name.as_str()) {
            return known.unwrap_or(0);
        }
        let Some(definition) = self.document.fragments.get(name) else {
            return 0;
        };
        self.fragments.insert(name.as_str(), None);
        let fields = self.fields(&definition.node.selection_set.node);
        self.fragments.insert(name.as_str(), Some(fields));
        fields
    }
}

fn check_selection_strings(set: &SelectionSet, bounds: &RequestBounds) -> Result<(), Refused> {
    for item in &set.items {
        for directive in item.node.directives() {
            check_arguments(&directive.node.arguments, bounds)?;
        }
        match &item.node {
            Selection::Field(field) => {
                check_arguments(&field.node.arguments, bounds)?;
                check_selection_strings(&field.node.selection_set.node, bounds)?;
            }
            Selection::InlineFragment(inline) => {
                check_selection_strings(&inline.node.selection_set.node, bounds)?
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn check_arguments(
    arguments: &[(Positioned<Name>, Positioned<Value>)],
    bounds: &RequestBounds,
) -> Result<(), Refused> {
    arguments.iter().try_for_each(|(_, value)| check_value(&value.node, bounds))
}

fn check_value(value: &Value, bounds: &RequestBounds) -> Result<(), Refused> {
    match value {
        Value::String(text) => check_string(text, bounds),
        Value::List(items) => items.iter().try_for_each(|item| check_value(item, bounds)),
        Value::Object(fields) => fields.values().try_for_each(|field| check_value(field, bounds)),
        _ => Ok(()),
    }
}

/// Variables arrive as JSON, whose nesting the query scan did not see.
fn check_const(value: &ConstValue, bounds: &RequestBounds, depth: usize) -> Result<(), Refused> {
    if depth > bounds.max_nesting {
        return Err(Refused(format!("a variable is nested more than {} levels deep", bounds.max_nesting)));
    }
    match value {
        ConstValue::String(text) => check_string(text, bounds),
        ConstValue::List(items) => items.iter().try_for_each(|item| check_const(item, bounds, depth + 1)),
        ConstValue::Object(fields) => {
            fields.values().try_for_each(|field| check_const(field, bounds, depth + 1))
        }
        _ => Ok(()),
    }
}

/// Every string input: bounded, and no control character (NUL, line breaks, tabs, escapes…): none of the
/// platform's inputs is multi-line text, and a NUL would otherwise reach PostgreSQL, which refuses it.
fn check_string(text: &str, bounds: &RequestBounds) -> Result<(), Refused> {
    if text.chars().nth(bounds.max_string_chars).is_some() {
        return Err(Refused(format!("a string input is longer than {} characters", bounds.max_string_chars)));
    }
    if let Some(control) = text.chars().find(|c| c.is_control()) {
        return Err(Refused(format!(
            "a string input holds the control character U+{:04X}",
            u32::from(control)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> RequestBounds {
        RequestBounds::default()
    }

    fn check(query: &str, variables: serde_json::Value) -> Result<(), Refused> {
        scan(query, &bounds())?;
        let document = async_graphql::parser::parse_query(query).map_err(|e| Refused(e.to_string()))?;
        check_document(&document, &Variables::from_json(variables), &bounds())
    }

    #[test]
    fn deep_values_are_refused_before_parsing() {
        let deep = format!(
            "{{ promotion(promotionCode: {}\"x\"{}) {{ name }} }}",
            "[".repeat(2000),
            "]".repeat(2000)
        );
        let err = scan(&deep, &bounds()).unwrap_err();
        assert!(err.0.contains("nested more than 64"), "{err}");
        let object = format!("{{ item(itemNo: {}) {{ name }} }}", "{a: ".repeat(100) + &"}".repeat(100));
        assert!(scan(&object, &bounds()).is_err());
        let fine = format!("{{ item(itemNo: {}\"x\"{}) {{ name }} }}", "[".repeat(10), "]".repeat(10));
        assert_eq!(scan(&fine, &bounds()), Ok(()));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let query = format!(
            "{{ item(itemNo: \"{}\") {{ name }} }} # {}\n{{ a(b: \"\"\"{} \\\"\"\" ]\"\"\") }}",
            "[".repeat(100),
            "{".repeat(100),
            "(".repeat(100)
        );
        assert_eq!(scan(&query, &bounds()), Ok(()));
    }

    #[test]
    fn token_floods_are_refused() {
        let flood = format!("{{ {} }}", "__typename ".repeat(6000));
        assert!(scan(&flood, &bounds()).unwrap_err().0.contains("more than 5000 tokens"));
    }

    #[test]
    fn fragments_are_counted_once_expanded_without_expanding_them() {
        let mut query = String::from("query { ...F30 } fragment F0 on Query { __typename }\n");
        for level in 1..=30 {
            query.push_str(&format!("fragment F{level} on Query {{ ...F{p} ...F{p} }}\n", p = level - 1));
        }
        let started = std::time::Instant::now();
        let err = check(&query, serde_json::json!({})).unwrap_err();
        assert!(err.0.contains("more than 2000 fields"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_millis(100), "linear, not 2^30");
        let mut small = String::from("query { ...F10 } fragment F0 on Query { __typename }\n");
        for level in 1..=10 {
            small.push_str(&format!("fragment F{level} on Query {{ ...F{p} ...F{p} }}\n", p = level - 1));
        }
        assert_eq!(check(&small, serde_json::json!({})), Ok(()), "2^10 fields is within the bound");
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }";
        assert_eq!(check(cycle, serde_json::json!({})), Ok(()), "cycles are the validator's to refuse");
    }

    #[test]
    fn strings_are_bounded_and_free_of_control_characters() {
        let nul = check(r#"{ item(itemNo: "a\u0000b") { name } }"#, serde_json::json!({})).unwrap_err();
        assert!(nul.0.contains("U+0000"), "{nul}");
        let newline =
            check("query($v: String!) { item(itemNo: $v) { name } }", serde_json::json!({ "v": "a\r\nb" }));
        assert!(newline.unwrap_err().0.contains("U+000D"));
        let nested = serde_json::json!({ "input": { "lines": [{ "itemNo": "x\u{7}" }] } });
        assert!(
            check("mutation($input: CreateOrderInput!) { createOrder(input: $input) { orderNo } }", nested)
                .is_err()
        );
        let long = serde_json::json!({ "v": "x".repeat(4097) });
        assert!(
            check("query($v: String!) { item(itemNo: $v) { name } }", long).unwrap_err().0.contains("4096")
        );
        let chinese = serde_json::json!({ "v": "台北市南京東路二段139號" });
        assert_eq!(check("query($v: String!) { item(itemNo: $v) { name } }", chinese), Ok(()));
        let mut deep = serde_json::json!("x");
        for _ in 0..70 {
            deep = serde_json::json!([deep]);
        }
        let err =
            check("query($v: [String]) { item(itemNo: $v) { name } }", serde_json::json!({ "v": deep }));
        assert!(err.unwrap_err().0.contains("nested"));
    }
}
