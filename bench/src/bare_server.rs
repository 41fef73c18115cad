//! The baseline of the promotion-lookup benchmark: a bare axum handler that answers `POST /graphql` with
//! the same JSON the platform returns for the seed query, without parsing, GraphQL or a database. Whatever
//! the platform does on top of this is what the benchmark measures.
//!
//! Usage: `bare-server ADDR` (default 127.0.0.1:18081).

use axum::Router;
use axum::http::header;
use axum::routing::post;

const BODY: &str = r#"{"data":{"promotion":{"totalAmount":3480,"promotionItems":[{"sellingPrice":2280,"item":{"itemNo":"GCV1Y","name":"天下雜誌 一年26期","category":"MAGAZINE","subCategory":"天下"}},{"sellingPrice":1200,"item":{"itemNo":"KCW12M","name":"全閱讀 十二個月","category":"DIGITAL","subCategory":"全閱讀"}}]}}}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let app = Router::new()
        .route("/graphql", post(|| async { ([(header::CONTENT_TYPE, "application/json")], BODY) }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
