//! Malformed requests, query limits, health and production mode.

use crate::support::{error_codes, servers};
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_query_gets_a_coded_error() {
    for server in servers(|_| {}).await {
        let body = server.graphql("{ promotion( }", json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {body}", server.label());
        let body = server.graphql("{ noSuchField }", json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        let body = server.graphql("{ promotion { totalAmount } }", json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "missing argument: {body}");
        let response = reqwest::Client::new()
            .post(format!("{}/graphql", server.base))
            .header("content-type", "application/json")
            .body("{ not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "bad JSON: {body}");
    }
}

#[tokio::test]
async fn depth_and_complexity_limits_are_enforced() {
    for server in servers(|s| {
        s.graphql.max_depth = 4;
        s.graphql.max_complexity = 50;
    })
    .await
    {
        // promotion > promotionItems > item > name is depth 4: allowed.
        let ok = server
            .graphql(
                r#"{ promotion(promotionCode: "GC18080026") { promotionItems { item { name } } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(ok["errors"], Value::Null, "{}: {ok}", server.label());
        let deep = server
            .graphql(
                "{ promotions(first: 1) { edges { node { promotionItems { item { name } } } } } }",
                json!({}),
            )
            .await;
        assert_eq!(error_codes(&deep), ["BAD_USER_INPUT"], "{deep}");
        assert!(deep["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{deep}");
        let wide =
            server.graphql("{ promotions(first: 100) { edges { cursor node { name } } } }", json!({})).await;
        assert_eq!(error_codes(&wide), ["BAD_USER_INPUT"], "{wide}");
        assert!(wide["errors"][0]["message"].as_str().unwrap().contains("complex"), "{wide}");
    }
}

#[tokio::test]
async fn healthz_reports_the_database() {
    for server in servers(|_| {}).await {
        let (status, body) = server.get("/healthz").await;
        assert_eq!(status, 200, "{}", server.label());
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({ "status": "ok", "database": "ok" })
        );
        server.db.conn.clone().close().await.unwrap();
        let (status, body) = server.get("/healthz").await;
        assert_eq!(status, 503, "{}: {body}", server.label());
        assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["database"], "unreachable");
    }
}

#[tokio::test]
async fn graphiql_and_introspection_follow_production_mode() {
    for server in servers(|_| {}).await {
        let (status, page) = server.get("/graphql").await;
        assert_eq!(status, 200);
        assert!(page.contains("graphiql"), "{}", server.label());
        let body = server.graphql("{ __schema { queryType { name } } }", json!({})).await;
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    }
    for server in servers(|s| s.production = true).await {
        let (status, _) = server.get("/graphql").await;
        assert_eq!(status, 404, "{}", server.label());
        let body = server.graphql("{ __schema { queryType { name } } }", json!({})).await;
        assert_ne!(body["data"]["__schema"]["queryType"]["name"], "Query", "{body}");
        let seed =
            server.graphql(r#"{ promotion(promotionCode: "GC18080026") { totalAmount } }"#, json!({})).await;
        assert_eq!(seed["data"]["promotion"]["totalAmount"], 3480, "the API itself still works");
    }
}

#[tokio::test]
async fn oversized_body_is_refused() {
    for server in servers(|s| s.graphql.max_body_bytes = 1024).await {
        let padding = "#".repeat(4096);
        let client = reqwest::Client::new();
        let response = client
            .post(format!("{}/graphql", server.base))
            .json(&json!({ "query": format!("{padding}\n{{ item(itemNo: \"x\") {{ name }} }}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 413, "{}", server.label());
    }
}
