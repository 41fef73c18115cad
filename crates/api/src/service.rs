//! Executing requests: the schema, a cache of parsed query documents and a cache of public catalog
//! responses.
//!
//! EC frontends send the same few catalog queries over and over. Parsed documents are kept (bounded) and
//! reused; validation and limits still run on every request that is executed. A query whose root fields are
//! all public catalog fields (`promotion`, `promotions`, `item`) returns the same data to every caller, so
//! its error-free response is kept for the catalog TTL, keyed by query, operation name and variables. With
//! the promotion cache beneath it, a catalog change shows within at most twice `catalog.cache_ttl_ms`.

use crate::AppSchema;
use crate::error::fill_error_codes;
use crate::guard::{self, RequestBounds};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};
use async_graphql::{Request, Response, ServerError};
use platform_core::cache::TtlCache;
use std::sync::Arc;
use std::time::Duration;

/// Parsed documents kept at most.
const MAX_DOCUMENTS: usize = 512;
/// Catalog responses kept at most.
const MAX_RESPONSES: usize = 4096;
/// Longer query strings are parsed each time rather than kept.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;
/// Root fields anyone may read and whose answer does not depend on who asks.
const PUBLIC_CATALOG_FIELDS: [&str; 4] = ["promotion", "promotions", "item", "__typename"];

/// Runs GraphQL requests against the schema.
#[derive(Clone)]
pub struct GraphqlService {
    schema: AppSchema,
    documents: Arc<TtlCache<ExecutableDocument>>,
    responses: Arc<TtlCache<String>>,
    bounds: RequestBounds,
    /// For the DataLoaders each request gets.
    db: sea_orm::DatabaseConnection,
    /// The schema's root fields: the metrics' operation labels.
    root_fields: Arc<std::collections::HashSet<&'static str>>,
}

impl GraphqlService {
    /// A service over `schema`, refusing requests outside `bounds` before parsing them and keeping
    /// public catalog responses for `catalog_ttl`.
    pub fn new(
        schema: AppSchema,
        bounds: RequestBounds,
        catalog_ttl: Duration,
        db: sea_orm::DatabaseConnection,
    ) -> Self {
        GraphqlService {
            db,
            root_fields: Arc::new(crate::telemetry::root_fields(&schema.sdl())),
            schema,
            documents: Arc::new(TtlCache::new(Duration::from_secs(3600), MAX_DOCUMENTS)),
            responses: Arc::new(TtlCache::new(catalog_ttl, MAX_RESPONSES)),
            bounds,
        }
    }

    /// Executes one request and serialises the response, answering public catalog queries from the
    /// response cache when it can. A request outside the [`RequestBounds`] is answered `BAD_USER_INPUT`
    /// before anything parses it. Admins, who also see the retired part of the catalog (R18), are never
    /// answered from nor stored in that cache.
    pub async fn execute_json(&self, request: Request, principal: members::Principal) -> String {
        let started = std::time::Instant::now();
        let mut seen = crate::telemetry::Seen::new();
        let shared = principal.require_admin().is_err();
        let body = self.respond(request.data(principal), shared, &mut seen).await;
        seen.record(started.elapsed());
        body
    }

    async fn respond(&self, mut request: Request, shared: bool, seen: &mut crate::telemetry::Seen) -> String {
        if let Err(refused) = guard::scan(&request.query, &self.bounds) {
            let response = refusal(refused);
            seen.errors(&response);
            return self.serialise(&response);
        }
        let document = self.parsed(&request.query);
        if let Some(document) = &document {
            seen.operation = crate::telemetry::operation_of(document, &self.root_fields);
        }
        if let Some(document) = &document
            && let Err(refused) = guard::check_document(document, &request.variables, &self.bounds)
        {
            let response = refusal(refused);
            seen.errors(&response);
            return self.serialise(&response);
        }
        let cache_key = document
            .as_ref()
            .filter(|d| shared && is_public_catalog_query(d))
            .map(|_| response_key(&request));
        if let Some(body) = cache_key.as_deref().and_then(|key| self.responses.get(key)) {
            return body;
        }
        if let Some(document) = document {
            request.set_parsed_query(document);
        }
        let response = self.run(request).await;
        seen.errors(&response);
        let body = self.serialise(&response);
        if let Some(key) = cache_key
            && response.errors.is_empty()
        {
            self.responses.put(&key, body.clone());
        }
        body
    }

    fn serialise(&self, response: &Response) -> String {
        match serde_json::to_string(response) {
            Ok(body) => body,
            Err(err) => {
                tracing::error!(error = %err, "serialising a response");
                r#"{"data":null,"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#
                    .to_owned()
            }
        }
    }

    async fn run(&self, request: Request) -> Response {
        let request = request.data(crate::loaders::Loaders::new(&self.db));
        let mut response = self.schema.execute(request).await;
        fill_error_codes(&mut response);
        response
    }

    /// The parsed document of `query`, from the cache or freshly parsed (long queries are not kept);
    /// `None` when it does not parse (the schema then reports the syntax error).
    fn parsed(&self, query: &str) -> Option<ExecutableDocument> {
        if let Some(document) = self.documents.get(query) {
            return Some(document);
        }
        let document = async_graphql::parser::parse_query(query).ok()?;
        if query.len() <= MAX_CACHED_QUERY_BYTES {
            self.documents.put(query, document.clone());
        }
        Some(document)
    }
}

/// The response to a request the guard refused.
fn refusal(refused: guard::Refused) -> Response {
    let mut response = Response::from_errors(vec![ServerError::new(refused.0, None)]);
    fill_error_codes(&mut response);
    response
}

/// One query operation selecting public catalog fields only, without fragments or directives.
fn is_public_catalog_query(document: &ExecutableDocument) -> bool {
    let mut operations = document.operations.iter();
    let (Some((_, operation)), None) = (operations.next(), operations.next()) else {
        return false;
    };
    let operation = &operation.node;
    operation.ty == OperationType::Query
        && operation.directives.is_empty()
        && operation.selection_set.node.items.iter().all(|selection| match &selection.node {
            Selection::Field(field) => {
                field.node.directives.is_empty()
                    && PUBLIC_CATALOG_FIELDS.contains(&field.node.name.node.as_str())
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => false,
        })
}

fn response_key(request: &Request) -> String {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    format!("{}\u{0}{}\u{0}{}", request.operation_name.as_deref().unwrap_or(""), request.query, variables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(query: &str) -> bool {
        is_public_catalog_query(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn only_public_catalog_queries_are_cacheable() {
        assert!(public(r#"{ promotion(promotionCode: "A") { totalAmount } item(itemNo: "B") { name } }"#));
        assert!(public(
            "query Q($c: String!) { p: promotion(promotionCode: $c) { totalAmount } __typename }"
        ));
        assert!(!public("{ __schema { queryType { name } } }"));
        assert!(!public("{ ...F } fragment F on Query { item(itemNo: \"x\") { name } }"));
        assert!(!public("{ item(itemNo: \"x\") @include(if: true) { name } }"));
        assert!(!public("query A { item(itemNo: \"x\") { name } } query B { item(itemNo: \"y\") { name } }"));
        assert!(!public("mutation { item(itemNo: \"x\") { name } }"));
        assert!(!public("{ somethingPrivate { id } }"));
    }
}
