//! The public catalog over HTTP.

use crate::support::{error_codes, servers};
use serde_json::{Value, json};

/// Seed 004's "0831版本" query, verbatim but for the field name the seed itself spells both ways.
const SEED_QUERY: &str = r#"query($code: String!) {
  promotion(promotionCode: $code) {
    totalAmount
    promotionItems { sellingPrice item { itemNo name category subCategory } }
  }
}"#;

#[tokio::test]
async fn seed_promotion_query_answers_from_the_demo_catalog() {
    for server in servers(|_| {}).await {
        let body = server.graphql(SEED_QUERY, json!({ "code": "GC18080026" })).await;
        assert_eq!(body["errors"], Value::Null, "{}: {body}", server.label());
        let promotion = &body["data"]["promotion"];
        assert_eq!(promotion["totalAmount"], 3480);
        assert_eq!(
            promotion["promotionItems"],
            json!([
                { "sellingPrice": 2280, "item": { "itemNo": "GCV1Y", "name": "天下雜誌 一年26期", "category": "MAGAZINE", "subCategory": "天下" } },
                { "sellingPrice": 1200, "item": { "itemNo": "KCW12M", "name": "全閱讀 十二個月", "category": "DIGITAL", "subCategory": "全閱讀" } },
            ]),
            "{}",
            server.label()
        );
    }
}

#[tokio::test]
async fn unknown_promotion_and_item_are_null_not_errors() {
    for server in servers(|_| {}).await {
        let body = server
            .graphql(
                r#"{ promotion(promotionCode: "NO-SUCH") { totalAmount } item(itemNo: "NO-SUCH") { name } }"#,
                json!({}),
            )
            .await;
        assert_eq!(body, json!({ "data": { "promotion": null, "item": null } }), "{}", server.label());
    }
}

#[tokio::test]
async fn item_shows_the_issue_calendar_fields() {
    for server in servers(|_| {}).await {
        let no = format!("GCV{:06}", 771 + 26 * 4);
        let body = server
            .graphql(
                "query($no: String!) { item(itemNo: $no) { itemNo category productCode mzVolume publishDate itemStatus termIssues } }",
                json!({ "no": no }),
            )
            .await;
        let item = &body["data"]["item"];
        assert_eq!(item["mzVolume"], 771 + 26 * 4, "{}: {body}", server.label());
        assert_eq!(item["productCode"], "GCV");
        assert_eq!(item["itemStatus"], "ACTIVE");
        assert_eq!(item["termIssues"], Value::Null);
        // 104 issues of 14 days after 2023-04-19.
        assert_eq!(item["publishDate"], "2027-04-14");
    }
}

#[tokio::test]
async fn promotions_paginate_with_cursors_to_the_end() {
    let query = "query($after: String) { promotions(first: 3, after: $after) { edges { cursor node { promotionCode promotionItems { quantity } } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    for server in servers(|_| {}).await {
        let mut after = Value::Null;
        let mut seen = Vec::new();
        loop {
            let body = server.graphql(query, json!({ "after": after })).await;
            let page = &body["data"]["promotions"];
            for edge in page["edges"].as_array().unwrap() {
                seen.push(edge["node"]["promotionCode"].as_str().unwrap().to_owned());
            }
            if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seen.len(), 8, "{}: {seen:?}", server.label());
        assert_eq!(seen, sorted, "ordered and without repeats");
    }
}

#[tokio::test]
async fn promotions_reject_a_bad_page_size_or_cursor() {
    for server in servers(|_| {}).await {
        for (args, field) in
            [("first: 0", "first"), ("first: 101", "first"), (r#"after: "not-a-cursor""#, "after")]
        {
            let body = server
                .graphql(&format!("{{ promotions({args}) {{ edges {{ cursor }} }} }}"), json!({}))
                .await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{args} on {}: {body}", server.label());
            assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(field), "{body}");
        }
    }
}

/// Catalog changes show at once without caching, and within twice the TTL with it.
#[tokio::test]
async fn catalog_changes_show_within_the_cache_ttl() {
    let query = r#"{ promotion(promotionCode: "GC18080026") { name } }"#;
    for ttl_ms in [0u64, 300] {
        for server in servers(|s| s.catalog.cache_ttl_ms = ttl_ms).await {
            let before = server.graphql(query, json!({})).await;
            assert_eq!(before["data"]["promotion"]["name"], "天下+全閱讀 一年");
            let mut definition = ::catalog::demo::promotions().remove(0);
            definition.promotion.name = "renamed".into();
            ::catalog::admin::upsert_promotion(&server.db.conn, &definition, chrono::Utc::now())
                .await
                .unwrap();
            let right_after = server.graphql(query, json!({})).await;
            let expected_now = if ttl_ms == 0 { "renamed" } else { "天下+全閱讀 一年" };
            assert_eq!(
                right_after["data"]["promotion"]["name"],
                expected_now,
                "ttl {ttl_ms} on {}",
                server.label()
            );
            tokio::time::sleep(std::time::Duration::from_millis(2 * ttl_ms + 50)).await;
            let later = server.graphql(query, json!({})).await;
            assert_eq!(later["data"]["promotion"]["name"], "renamed", "ttl {ttl_ms} on {}", server.label());
        }
    }
}
