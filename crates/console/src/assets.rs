//! The static files the binary serves under `/assets/`: GraphiQL with React (vendored production builds,
//! see `assets/graphiql/README.md`), GraphiQL's start-up script and the console's stylesheet. Every name
//! carries a version or a hash of the content, so they are served `Cache-Control: immutable`.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;

const CONSOLE_CSS: &str = include_str!("../../../templates/console/console.css");
const GRAPHIQL_START: &str = include_str!("../assets/graphiql-start.js");

/// The console stylesheet's URL (named by a hash of its content).
pub(crate) static CONSOLE_CSS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/console-{}.css", fingerprint(CONSOLE_CSS.as_bytes())));
/// GraphiQL's start-up script's URL.
pub(crate) static GRAPHIQL_START_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/graphiql-start-{}.js", fingerprint(GRAPHIQL_START.as_bytes())));

/// The vendored files, by the name they are served under.
const VENDORED: [(&str, &str, &[u8]); 4] = [
    ("graphiql-3.9.0.min.js", JS, include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js")),
    ("graphiql-3.9.0.min.css", CSS, include_bytes!("../assets/graphiql/graphiql-3.9.0.min.css")),
    (
        "react-18.3.1.production.min.js",
        JS,
        include_bytes!("../assets/graphiql/react-18.3.1.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        JS,
        include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A short, stable hash of some content (the same bytes give the same name in every build and process).
fn fingerprint(bytes: &[u8]) -> String {
    // SipHash with the fixed keys of `DefaultHasher::new()`: stable for a given Rust version, which is
    // all a cache name needs (a new build may rename, never serve stale).
    let mut hasher = std::hash::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff)
}

/// `GET /assets/{name}`.
pub fn routes() -> Router {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    let found = if name == CONSOLE_CSS_URL.trim_start_matches("/assets/") {
        Some((CSS, CONSOLE_CSS.as_bytes()))
    } else if name == GRAPHIQL_START_URL.trim_start_matches("/assets/") {
        Some((JS, GRAPHIQL_START.as_bytes()))
    } else {
        VENDORED.iter().find(|(n, _, _)| *n == name).map(|(_, t, b)| (*t, *b))
    };
    match found {
        Some((content_type, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, IMMUTABLE),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
