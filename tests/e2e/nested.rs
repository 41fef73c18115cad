//! SPEC §3, issue #14: a nested field applies the same access rule as its top-level query. The test reads
//! the schema by introspection and, as a member, selects every field of every object type it can reach from
//! the roots a member may query — so a field added later is walked too — then checks that nothing of
//! another person comes back and that what was withheld is marked FORBIDDEN on its path.

use crate::orders::{CREATE, order_input};
use crate::support::{TestServer, servers};
use members::Role;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Another person's data, which must never reach alice.
const BOB_SECRETS: [&str; 5] =
    ["Bob Secret", "bob-secret@example.com", "0911222333", "Secret Street 9", "bob-member@example.com"];

const INTROSPECTION: &str = r#"{ __schema { types { name kind fields {
    name args { type { kind } }
    type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;

/// A field of an object type: its name, whether it needs an argument, and the named type it returns.
struct Field {
    name: String,
    needs_argument: bool,
    type_name: String,
    object: bool,
}

fn named(mut ty: &Value) -> (String, String) {
    while ty["name"].is_null() && !ty["ofType"].is_null() {
        ty = &ty["ofType"];
    }
    (ty["name"].as_str().unwrap_or_default().to_owned(), ty["kind"].as_str().unwrap_or_default().to_owned())
}

async fn schema(server: &TestServer) -> HashMap<String, Vec<Field>> {
    let body = server.graphql(INTROSPECTION, json!({})).await;
    let mut types = HashMap::new();
    for ty in body["data"]["__schema"]["types"].as_array().unwrap() {
        if ty["kind"] != "OBJECT" || ty["name"].as_str().unwrap().starts_with("__") {
            continue;
        }
        let fields = ty["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let (type_name, kind) = named(&f["type"]);
                Field {
                    name: f["name"].as_str().unwrap().to_owned(),
                    needs_argument: f["args"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a["type"]["kind"] == "NON_NULL"),
                    type_name,
                    object: kind == "OBJECT",
                }
            })
            .collect();
        types.insert(ty["name"].as_str().unwrap().to_owned(), fields);
    }
    types
}

/// Every field of `type_name` without required arguments, objects expanded while a type appears at most
/// twice on the path and the depth stays within `depth`.
fn selection(
    types: &HashMap<String, Vec<Field>>,
    type_name: &str,
    depth: usize,
    path: &mut Vec<String>,
) -> String {
    let mut parts = Vec::new();
    for field in types.get(type_name).map(Vec::as_slice).unwrap_or_default() {
        if field.needs_argument {
            continue;
        }
        if !field.object {
            parts.push(field.name.clone());
            continue;
        }
        if depth == 0 || path.iter().filter(|t| **t == field.type_name).count() >= 2 {
            continue;
        }
        path.push(field.type_name.clone());
        let inner = selection(types, &field.type_name, depth - 1, path);
        path.pop();
        if !inner.is_empty() {
            parts.push(format!("{} {{ {inner} }}", field.name));
        }
    }
    parts.join(" ")
}

/// The error paths of a response, joined with dots.
fn error_paths(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    let path: Vec<String> = e["path"]
                        .as_array()
                        .map(|p| {
                            p.iter()
                                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default();
                    (path.join("."), e["extensions"]["code"].as_str().unwrap_or_default().to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_member_reaches_nothing_of_another_person_through_nested_fields() {
    for server in servers(|s| {
        s.graphql.max_depth = 20;
        s.graphql.max_complexity = 1_000_000;
        s.graphql.max_fields = 20_000;
        s.graphql.max_tokens = 50_000;
    })
    .await
    {
        let service = server.token(Role::Service, "ec-backend");
        let call = |query: &'static str, variables: Value| {
            let (server, service) = (&server, service.clone());
            async move {
                let body = server.graphql_as(&service, query, variables).await;
                assert!(body["errors"].is_null(), "{}: {body}", server.label());
                body
            }
        };
        let upsert = "mutation($a: String!, $e: String) { upsertMember(input: { account: $a, email: $e }) { account } }";
        call(upsert, json!({ "a": "alice@example.com", "e": "alice@example.com" })).await;
        call(upsert, json!({ "a": "bob-member@example.com", "e": "bob-member@example.com" })).await;
        // Alice's own customer, linked to her.
        let own = call(
            r#"mutation { upsertCustomer(input: { name: "Alice Own", email: "alice@example.com" }) { customerNo } }"#,
            json!({}),
        )
        .await["data"]["upsertCustomer"]["customerNo"]
            .as_str()
            .unwrap()
            .to_owned();
        call(
            "mutation($no: String!) { linkMemberCustomer(account: \"alice@example.com\", customerNo: $no) { account } }",
            json!({ "no": own }),
        )
        .await;
        // An order bound to alice but paid by Bob's customer (a gift bought for her), then paid.
        let mut input = order_input("nested-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        input["memberAccount"] = json!("alice@example.com");
        input["payer"] = json!({ "name": "Bob Secret", "email": "bob-secret@example.com", "phone": "0911222333",
                                 "address": { "city": "台北市", "street": "Secret Street 9" } });
        let created = call(CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let bob_customer = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        call(
            "mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: \"T-nested\", status: PAID, amount: 3480 }) { orderNo } }",
            json!({ "no": order_no }),
        )
        .await;
        call(
            "mutation($no: String!) { linkMemberCustomer(account: \"bob-member@example.com\", customerNo: $no) { account } }",
            json!({ "no": bob_customer }),
        )
        .await;
        let renewal = call(
            "mutation($c: String!, $o: String!) { createRenewal(input: { customerNo: $c, memberAccount: \"alice@example.com\", promotionCode: \"GC18080026\", originOrderNo: $o }) { renewal { id } } }",
            json!({ "c": bob_customer, "o": order_no }),
        )
        .await["data"]["createRenewal"]["renewal"]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let types = schema(&server).await;
        let query_fields: HashMap<&str, &Field> =
            types["Query"].iter().map(|f| (f.name.as_str(), f)).collect();
        let roots = [
            ("member", r#"(account: "alice@example.com")"#.to_owned()),
            ("customer", format!(r#"(customerNo: "{own}")"#)),
            ("order", format!(r#"(orderNo: "{order_no}")"#)),
            ("orders", "(first: 5)".to_owned()),
            ("entitlements", r#"(account: "alice@example.com")"#.to_owned()),
            ("renewal", format!(r#"(id: "{renewal}")"#)),
            ("renewals", r#"(account: "alice@example.com")"#.to_owned()),
        ];
        let alice = server.token(Role::Member, "alice@example.com");
        let mut forbidden_paths = Vec::new();
        let mut walked = 0;
        for (root, arguments) in roots {
            let field = query_fields[root];
            let inner = selection(&types, &field.type_name, 8, &mut vec![field.type_name.clone()]);
            let query = format!("{{ {root}{arguments} {{ {inner} }} }}");
            let body = server.graphql_as(&alice, &query, json!({})).await;
            assert!(!body["data"][root].is_null(), "{}: {root} is alice's own: {body}", server.label());
            let text = body.to_string();
            for secret in BOB_SECRETS {
                assert!(!text.contains(secret), "{}: {root} leaked {secret:?}: {body}", server.label());
            }
            for (path, code) in error_paths(&body) {
                assert_eq!(code, "FORBIDDEN", "{path}: {body}");
                forbidden_paths.push(path);
            }
            walked += query.matches('{').count();
        }
        assert!(walked > 40, "the walk reached the object types ({walked} selections)");
        assert!(forbidden_paths.iter().any(|p| p == "order.payer"), "{forbidden_paths:?}");
        assert!(
            forbidden_paths.iter().any(|p| p.starts_with("orders.") && p.ends_with(".payer")),
            "{forbidden_paths:?}"
        );

        // The same walk as a service sees the payer: the rule withholds only what the member may not see.
        let body = server
            .graphql_as(
                &service,
                &format!(r#"{{ order(orderNo: "{order_no}") {{ payer {{ name }} }} }}"#),
                json!({}),
            )
            .await;
        assert_eq!(body["data"]["order"]["payer"]["name"], "Bob Secret", "{body}");
    }
}
