//! Request metrics (R16, `GET /metrics`): requests by root field and outcome with their latency, GraphQL
//! errors by code. Labels come from the schema (root fields it has) and the error-code table, never from
//! what a client writes, so a hostile client cannot grow the metrics without bound.

use async_graphql::parser::types::{ExecutableDocument, Selection};
use std::collections::HashSet;
use std::time::Duration;

/// What a request turned out to be.
pub(crate) struct Seen {
    /// The operation's first root field when the schema has it, `other` when not, `invalid` when the
    /// request did not parse or was refused before.
    pub(crate) operation: &'static str,
    /// The codes of its errors.
    pub(crate) codes: Vec<&'static str>,
}

impl Seen {
    pub(crate) fn new() -> Self {
        Seen { operation: "invalid", codes: Vec::new() }
    }

    /// Notes the codes of `response`'s errors.
    pub(crate) fn errors(&mut self, response: &async_graphql::Response) {
        for error in &response.errors {
            let code = error
                .extensions
                .as_ref()
                .and_then(|e| e.get("code"))
                .and_then(|v| match v {
                    async_graphql::Value::String(code) => Some(code.as_str()),
                    _ => None,
                })
                .and_then(|code| platform_core::ErrorCode::ALL.iter().find(|c| c.as_str() == code))
                .map_or("INTERNAL", |c| c.as_str());
            self.codes.push(code);
        }
    }

    /// Records the request: its count and latency by operation and outcome, and each error by code.
    pub(crate) fn record(&self, took: Duration) {
        let outcome = if self.codes.is_empty() { "ok" } else { "error" };
        let (count, latency) = handles(self.operation, outcome);
        count.increment(1);
        latency.record(took.as_secs_f64());
        for code in &self.codes {
            metrics::counter!("graphql_errors_total", "code" => *code).increment(1);
        }
    }
}

/// The request counter and latency histogram of one (operation, outcome).
type Handles = (metrics::Counter, metrics::Histogram);

/// Handles registered once per label pair (the labels are bounded: the schema's root fields), so that the
/// hot path of a request is an atomic add and a sample push, not a registry lookup.
static HANDLES: std::sync::OnceLock<
    std::sync::RwLock<std::collections::HashMap<(&'static str, &'static str), Handles>>,
> = std::sync::OnceLock::new();

/// Turns on the handle cache: call once the process's metrics recorder is installed (a handle made before
/// would stay bound to no recorder).
pub fn cache_request_metrics() {
    HANDLES.get_or_init(Default::default);
}

fn handles(operation: &'static str, outcome: &'static str) -> Handles {
    let Some(map) = HANDLES.get() else {
        return (
            metrics::counter!("graphql_requests_total", "operation" => operation, "outcome" => outcome),
            metrics::histogram!("graphql_request_duration_seconds", "operation" => operation, "outcome" => outcome),
        );
    };
    if let Some(found) = map.read().ok().and_then(|m| m.get(&(operation, outcome)).cloned()) {
        return found;
    }
    let made = (
        metrics::counter!("graphql_requests_total", "operation" => operation, "outcome" => outcome),
        metrics::histogram!("graphql_request_duration_seconds", "operation" => operation, "outcome" => outcome),
    );
    if let Ok(mut m) = map.write() {
        m.entry((operation, outcome)).or_insert_with(|| made.clone());
    }
    made
}

/// The root fields of the schema's Query and Mutation types, read from its SDL once.
pub(crate) fn root_fields(sdl: &str) -> HashSet<&'static str> {
    let mut fields = HashSet::new();
    let mut in_root = false;
    let mut in_description = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("type Query") || trimmed.starts_with("type Mutation") {
            in_root = true;
            continue;
        }
        if !in_root {
            continue;
        }
        if trimmed == "}" {
            in_root = false;
            continue;
        }
        if trimmed.starts_with("\"\"\"") {
            // A one-line description opens and closes on the same line.
            if !(trimmed.len() > 3 && trimmed.ends_with("\"\"\"")) {
                in_description = !in_description;
            }
            continue;
        }
        if in_description || trimmed.starts_with('"') || trimmed.starts_with('@') {
            continue;
        }
        let name: String = trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !name.is_empty() {
            fields.insert(&*Box::leak(name.into_boxed_str()));
        }
    }
    fields
}

/// The label of `document`'s operation: its first root field when the schema has it.
pub(crate) fn operation_of(document: &ExecutableDocument, known: &HashSet<&'static str>) -> &'static str {
    let Some((_, operation)) = document.operations.iter().next() else { return "other" };
    operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .find_map(|s| match &s.node {
            Selection::Field(field) => known.get(field.node.name.node.as_str()).copied(),
            _ => None,
        })
        .unwrap_or("other")
}
