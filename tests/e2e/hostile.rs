//! Hostile requests (SPEC §3, issue #14): nothing anyone sends may stop the server or hold its memory.
//! Deep values and fragment bombs are refused before parsing, only JSON reaches `POST /graphql`, and
//! production gives no "did you mean" hints.

use crate::support::{error_codes, servers};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `{ promotion(promotionCode: [[[…"x"…]]]) { name } }`, `levels` deep: about 4 KB at 1,800 levels, and
/// before the guard it overflowed a worker's stack and aborted the process.
pub(crate) fn deep_value_query(levels: usize) -> String {
    format!("{{ promotion(promotionCode: {}\"x\"{}) {{ name }} }}", "[".repeat(levels), "]".repeat(levels))
}

/// Fragments that each spread the previous one twice, `levels` times: 1 KB, 2^levels fields expanded.
pub(crate) fn fragment_bomb(levels: usize, leaf: &str) -> String {
    let mut query = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ {leaf} }}\n");
    for level in 1..=levels {
        query.push_str(&format!("fragment F{level} on Query {{ ...F{p} ...F{p} }}\n", p = level - 1));
    }
    query
}

/// The seed's promotion lookup, to prove the server still answers.
pub(crate) const SEED_QUERY: &str = r#"{ promotion(promotionCode: "GC18080026") { totalAmount } }"#;

#[tokio::test]
async fn deep_argument_values_are_refused_and_the_server_lives_on() {
    for server in servers(|_| {}).await {
        for levels in [65, 1_800, 100_000] {
            let started = Instant::now();
            let body = server.graphql(&deep_value_query(levels), json!({})).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {body}", server.label());
            assert!(body["errors"][0]["message"].as_str().unwrap().contains("nested more than 64"), "{body}");
            assert!(started.elapsed() < Duration::from_secs(1), "{levels}: {:?}", started.elapsed());
        }
        let object =
            format!("{{ item(itemNo: {}\"x\"{}) {{ name }} }}", "{a: ".repeat(2_000), "}".repeat(2_000));
        assert_eq!(error_codes(&server.graphql(&object, json!({})).await), ["BAD_USER_INPUT"]);
        // Within the bound the parser runs (and the type check refuses a list for a String).
        let shallow = server.graphql(&deep_value_query(60), json!({})).await;
        assert_eq!(error_codes(&shallow), ["BAD_USER_INPUT"], "{shallow}");
        assert!(!shallow["errors"][0]["message"].as_str().unwrap().contains("nested more than"), "{shallow}");
        let mut deep_variable = json!("x");
        for _ in 0..120 {
            deep_variable = json!([deep_variable]);
        }
        let body = server
            .graphql(
                "query($c: String!) { promotion(promotionCode: $c) { name } }",
                json!({ "c": deep_variable }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        let after = server.graphql(SEED_QUERY, json!({})).await;
        assert_eq!(after["data"]["promotion"]["totalAmount"], 3480, "served afterwards: {after}");
    }
}

#[tokio::test]
async fn fragment_bombs_are_refused_in_microseconds() {
    for server in servers(|_| {}).await {
        for leaf in ["__typename", r#"item(itemNo: "GCV1Y") { name }"#] {
            for levels in [24, 29] {
                let started = Instant::now();
                let body = server.graphql(&fragment_bomb(levels, leaf), json!({})).await;
                let elapsed = started.elapsed();
                assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {body}", server.label());
                let message = body["errors"][0]["message"].as_str().unwrap();
                assert!(message.contains("more than 2000 fields once its fragments are expanded"), "{body}");
                assert!(elapsed < Duration::from_secs(1), "{levels} levels took {elapsed:?}");
            }
        }
        // Ten levels (1,024 fields) is a legitimate if odd query: it runs.
        let body = server.graphql(&fragment_bomb(10, "__typename"), json!({})).await;
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
        let after = server.graphql(SEED_QUERY, json!({})).await;
        assert_eq!(after["data"]["promotion"]["totalAmount"], 3480, "{after}");
    }
}

#[tokio::test]
async fn token_floods_and_long_or_control_strings_are_refused() {
    for server in servers(|_| {}).await {
        let flood = format!("{{ {} }}", "__typename ".repeat(6_000));
        let body = server.graphql(&flood, json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {body}", server.label());
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("tokens"), "{body}");
        // A NUL in a lookup: BAD_USER_INPUT, never INTERNAL (PostgreSQL refuses NUL in text).
        for code in ["GC1808\u{0}0026", "GC18080026\r\n", "\u{1b}[31m"] {
            let body = server
                .graphql("query($c: String!) { promotion(promotionCode: $c) { name } }", json!({ "c": code }))
                .await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {code:?}: {body}", server.label());
        }
        let literal = server.graphql(r#"{ item(itemNo: "GCV1Y\u0000") { name } }"#, json!({})).await;
        assert_eq!(error_codes(&literal), ["BAD_USER_INPUT"], "{literal}");
        let long = "G".repeat(5_000);
        let body =
            server.graphql("query($c: String!) { item(itemNo: $c) { name } }", json!({ "c": long })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    }
}

#[tokio::test]
async fn only_json_posts_reach_graphql() {
    for server in servers(|_| {}).await {
        let token = server.token(members::Role::Admin, "ops");
        let client = reqwest::Client::new();
        let url = format!("{}/graphql", server.base);
        let mutation = json!({ "query": "mutation { requestUuid }" }).to_string();
        for content_type in [
            Some("text/plain"),
            Some("text/plain;charset=UTF-8"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/graphql"),
            None,
        ] {
            let mut request = client.post(&url).bearer_auth(&token).body(mutation.clone());
            if let Some(content_type) = content_type {
                request = request.header("content-type", content_type);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), 415, "{}: {content_type:?}", server.label());
            let body: Value = response.json().await.unwrap();
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        }
        for content_type in
            ["application/json", "application/json; charset=utf-8", "application/graphql-response+json"]
        {
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .header("content-type", content_type)
                .body(mutation.clone())
                .send()
                .await
                .unwrap();
            let body: Value = response.json().await.unwrap();
            assert!(body["data"]["requestUuid"].is_string(), "{content_type}: {body}");
        }
    }
}

#[tokio::test]
async fn production_gives_no_field_suggestions() {
    let typo = r#"{ promotion(promotionCode: "GC18080026") { totalAmout } }"#;
    for server in servers(|_| {}).await {
        let body = server.graphql(typo, json!({})).await;
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "{body}");
    }
    for server in servers(|s| s.production = true).await {
        let body = server.graphql(typo, json!({})).await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert!(!message.contains("Did you mean") && !message.contains("totalAmount"), "{body}");
    }
}
