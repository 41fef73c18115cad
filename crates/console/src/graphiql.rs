//! GraphiQL's page at `GET /graphql`: React, ReactDOM and GraphiQL from `/assets/` (served by this binary),
//! started by a script of ours; no inline script, so its Content-Security-Policy allows scripts from this
//! server only.

use crate::assets::GRAPHIQL_START_URL;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// What the page may load: scripts and styles from this server (GraphiQL's editor sets inline styles, its
/// fonts are `data:` URLs) and requests to this server only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   font-src 'self' data:; img-src 'self' data:; connect-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The page.
pub fn page() -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · Middle platform</title>
<link rel="stylesheet" href="/assets/graphiql-3.9.0.min.css">
<style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/assets/react-18.3.1.production.min.js"></script>
<script src="/assets/react-dom-18.3.1.production.min.js"></script>
<script src="/assets/graphiql-3.9.0.min.js"></script>
<script src="{start}"></script>
</body>
</html>
"#,
        start = GRAPHIQL_START_URL.as_str()
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}
