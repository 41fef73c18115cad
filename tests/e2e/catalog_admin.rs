//! R18 over HTTP: admins maintain the catalog with GraphQL; every other caller is refused; bad input
//! writes nothing (checked in the database); retired promotions leave the public catalog and new orders;
//! price changes are scheduled once.

use crate::orders::{CREATE, order_input};
use crate::support::{error_codes, servers};
use members::Role;
use serde_json::{Value, json};
use test_support::count;

const PRODUCT: &str =
    r#"mutation($input: ProductInput!) { upsertProduct(input: $input) { productCode kind cadenceDays } }"#;
const ITEM: &str = r#"mutation($input: ItemInput!) { upsertItem(input: $input) { itemNo itemStatus listPrice termMonths } }"#;
const PROMOTION: &str = r#"mutation($input: PromotionInput!) { upsertPromotion(input: $input) {
    promotionCode status billingCycle renewable renewalPromotionCode validFrom validTo totalAmount
    promotionItems { sellingPrice quantity item { itemNo } } } }"#;

fn promotion(code: &str, cycle: &str, renews_into: Option<&str>, items: Value) -> Value {
    json!({ "input": { "promotionCode": code, "name": format!("方案 {code}"), "totalAmount": 299,
                       "billingCycle": cycle, "renewalPromotionCode": renews_into, "items": items } })
}

fn written(body: &Value) {
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn r18_admins_maintain_the_catalog_and_bad_input_writes_nothing() {
    for server in servers(|_| {}).await {
        let db = &server.db.conn;
        let admin = server.token(Role::Admin, "ops@cw");
        let product = json!({ "input": { "productCode": "ZZW", "name": "新數位方案", "kind": "PERIOD", "digital": true } });
        let item = json!({ "input": { "itemNo": "ZZW1M", "name": "新數位 一個月", "category": "DIGITAL", "productCode": "ZZW",
                                      "termMonths": 1, "listPrice": 399 } });

        // Nobody but an admin writes.
        for token in
            [None, Some(server.token(Role::Service, "ec")), Some(server.token(Role::Member, "a@b.tw"))]
        {
            let body = match &token {
                Some(t) => server.graphql_as(t, PRODUCT, product.clone()).await,
                None => server.graphql(PRODUCT, product.clone()).await,
            };
            assert!(
                matches!(error_codes(&body).as_slice(), [c] if c == "FORBIDDEN" || c == "UNAUTHENTICATED"),
                "{body}"
            );
        }
        assert_eq!(count(db, "products WHERE product_code = 'ZZW'").await, 0);

        written(&server.graphql_as(&admin, PRODUCT, product.clone()).await);
        let body = server.graphql_as(&admin, ITEM, item).await;
        assert_eq!(body["data"]["upsertItem"]["listPrice"], 399, "{body}");
        let monthly = promotion(
            "ZZ2612M",
            "MONTHLY",
            None,
            json!([{ "itemNo": "ZZW1M", "sellingPrice": 299, "quantity": 1 }]),
        );
        let body = server.graphql_as(&admin, PROMOTION, monthly.clone()).await;
        assert_eq!(body["data"]["upsertPromotion"]["renewable"], true, "{body}");
        assert_eq!(body["data"]["upsertPromotion"]["renewalPromotionCode"], "ZZ2612M");
        assert_eq!(
            count(
                db,
                "events WHERE event_type = 'catalog.promotion_changed' AND subject = 'promotion:ZZ2612M'"
            )
            .await,
            1
        );
        // The same again changes nothing and says nothing.
        written(&server.graphql_as(&admin, PROMOTION, monthly).await);
        assert_eq!(count(db, "events WHERE subject = 'promotion:ZZ2612M'").await, 1);

        // Every refusal names its field and writes nothing.
        let tables = ["products", "items", "promotions", "promotion_items", "events"];
        let mut before = Vec::new();
        for t in tables {
            before.push(count(db, t).await);
        }
        let line = |no: &str, price: i64| json!([{ "itemNo": no, "sellingPrice": price, "quantity": 1 }]);
        let mut window = promotion("ZZBAD1", "ONE_OFF", None, line("ZZW1M", 299));
        window["input"]["validFrom"] = json!("2026-12-31");
        window["input"]["validTo"] = json!("2026-12-01");
        let mut negative = promotion("ZZBAD2", "ONE_OFF", None, line("ZZW1M", 299));
        negative["input"]["totalAmount"] = json!(-1);
        let cases = [
            (PROMOTION, negative, "totalAmount"),
            (PROMOTION, promotion("ZZBAD3", "ONE_OFF", None, line("NO-SUCH", 1)), "itemNo"),
            (PROMOTION, promotion("ZZBAD4", "ONE_OFF", None, line("ZZW1M", -5)), "sellingPrice"),
            (PROMOTION, window, "validTo"),
            (
                PROMOTION,
                promotion("ZZBAD5", "ONE_OFF", Some("ZZ2612M"), line("ZZW1M", 1)),
                "renewalPromotionCode",
            ),
            (
                PROMOTION,
                promotion("ZZBAD6", "MONTHLY", Some("GC24010004"), line("ZZW1M", 1)),
                "renewalPromotionCode",
            ),
            (PROMOTION, promotion("ZZBAD7", "MONTHLY", None, line("BK0002", 100)), "billingCycle"),
            (
                ITEM,
                json!({ "input": { "itemNo": "ZZW26", "name": "x", "category": "DIGITAL", "productCode": "ZZW", "termIssues": 26 } }),
                "productCode",
            ),
            (
                PRODUCT,
                json!({ "input": { "productCode": "ZZW", "name": "x", "kind": "VOLUME", "digital": true, "cadenceDays": 14 } }),
                "kind",
            ),
            (
                ITEM,
                json!({ "input": { "itemNo": "ZZGCV880", "name": "x", "category": "MAGAZINE", "productCode": "GCV",
                                   "mzVolume": 880, "publishDate": "2027-06-02" } }),
                "mzVolume",
            ),
        ];
        for (mutation, input, field) in cases {
            let body = server.graphql_as(&admin, mutation, input).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{field} on {}: {body}", server.label());
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.starts_with(&format!("{field}:")), "{field}: {message}");
        }
        // A cycle A→B→A: B renews into A, then A into B is refused.
        written(
            &server
                .graphql_as(
                    &admin,
                    PROMOTION,
                    promotion("ZZB", "MONTHLY", Some("ZZ2612M"), line("ZZW1M", 299)),
                )
                .await,
        );
        let cycle = server
            .graphql_as(&admin, PROMOTION, promotion("ZZ2612M", "MONTHLY", Some("ZZB"), line("ZZW1M", 299)))
            .await;
        assert_eq!(error_codes(&cycle), ["BAD_USER_INPUT"], "{cycle}");
        assert!(cycle.to_string().contains("loop"), "{cycle}");
        let after: Vec<i64> = {
            let mut v = Vec::new();
            for t in tables {
                v.push(count(db, t).await);
            }
            v
        };
        assert_eq!(after[..4], [before[0], before[1], before[2] + 1, before[3] + 1], "only ZZB was written");
        assert_eq!(after[4], before[4] + 1, "and its one event");

        // Retired: gone from the public catalog and from new orders; admins still see it.
        let retire = r#"mutation { retirePromotion(promotionCode: "ZZB") { status } }"#;
        assert_eq!(
            server.graphql_as(&admin, retire, json!({})).await["data"]["retirePromotion"]["status"],
            "INACTIVE"
        );
        let lookup = r#"{ promotion(promotionCode: "ZZB") { status } }"#;
        assert!(server.graphql(lookup, json!({})).await["data"]["promotion"].is_null(), "not public");
        let seen = server.graphql_as(&admin, lookup, json!({})).await;
        assert_eq!(seen["data"]["promotion"]["status"], "INACTIVE", "{seen}");
        let service = server.token(Role::Service, "ec-backend");
        let input = order_input("retired-1", json!([{ "itemNo": "ZZB", "amount": 299 }]));
        let body = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert!(
            body["errors"][0]["message"].as_str().unwrap().contains("promotion ZZB is retired"),
            "{body}"
        );
        let listed = r#"{ promotions(first: 100, filter: { status: INACTIVE }) { edges { node { promotionCode } } } }"#;
        assert!(
            !server.graphql(listed, json!({})).await.to_string().contains("ZZB"),
            "the public list stays on sale"
        );
        assert!(server.graphql_as(&admin, listed, json!({})).await.to_string().contains("ZZB"));
        let items = r#"{ items(filter: { productCode: "ZZW" }, first: 10) { edges { node { itemNo } } } }"#;
        assert_eq!(
            server.graphql_as(&admin, items, json!({})).await["data"]["items"]["edges"][0]["node"]["itemNo"],
            "ZZW1M"
        );
        assert_eq!(error_codes(&server.graphql(items, json!({})).await), ["UNAUTHENTICATED"]);

        // A price change: scheduled once; the same again is the same; another while pending conflicts.
        let schedule = r#"mutation($amount: Int!) { schedulePriceChange(promotionCode: "ZZ2612M", newAmount: $amount, effectiveFrom: "2099-01-01") { newAmount effectiveFrom createdBy } }"#;
        let first = server.graphql_as(&admin, schedule, json!({ "amount": 349 })).await;
        assert_eq!(first["data"]["schedulePriceChange"]["createdBy"], "ops@cw", "{first}");
        written(&server.graphql_as(&admin, schedule, json!({ "amount": 349 })).await);
        assert_eq!(
            error_codes(&server.graphql_as(&admin, schedule, json!({ "amount": 399 })).await),
            ["CONFLICT"]
        );
        assert_eq!(count(db, "price_changes").await, 1);
        assert_eq!(count(db, "events WHERE event_type = 'catalog.price_change_scheduled'").await, 1);
    }
}
