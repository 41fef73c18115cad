//! SPEC §3 over HTTP: every role × operation gets the expected allow / UNAUTHENTICATED / FORBIDDEN, and
//! every kind of bad token is refused with UNAUTHENTICATED. On SQLite and PostgreSQL.

use crate::support::{TEST_SECRET, TestServer, error_codes, servers};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use members::Role;
use platform_core::settings::TokenAlgorithm;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allow,
    Unauthenticated,
    Forbidden,
    /// Allowed past the guard, then refused by the domain.
    NotFound,
}
use Expect::{Allow, Forbidden, NotFound, Unauthenticated as Unauth};

/// The callers of the table, in column order.
const CALLERS: [&str; 5] = ["anonymous", "admin", "service", "member (self)", "member (other)"];

struct Operation {
    name: &'static str,
    query: &'static str,
    expect: [Expect; 5],
}

const OPERATIONS: &[Operation] = &[
    Operation {
        name: "promotion (public catalog)",
        query: r#"{ promotion(promotionCode: "GC18080026") { totalAmount } }"#,
        expect: [Allow, Allow, Allow, Allow, Allow],
    },
    Operation {
        name: "member by account",
        query: r#"{ member(account: "alice@example.com") { account email } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "member by uuid",
        query: r#"query($uuid: UUID) { member(uuid: $uuid) { account } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "customer",
        query: r#"{ customer(customerNo: "A0000001") { customerNo name } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "customer.members",
        query: r#"{ customer(customerNo: "A0000001") { members { account } } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "member.customers",
        query: r#"{ member(account: "alice@example.com") { customers { customerNo } } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "events",
        query: r#"{ events(first: 5) { edges { node { type } } } }"#,
        expect: [Unauth, Allow, Forbidden, Forbidden, Forbidden],
    },
    Operation {
        name: "requestUuid",
        query: r#"mutation { requestUuid }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "upsertMember",
        query: r#"mutation { upsertMember(input: { account: "carol@example.com" }) { account } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "upsertCustomer",
        query: r#"mutation { upsertCustomer(input: { customerNo: "C0000009", name: "x" }) { customerNo } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "order (bound to alice)",
        query: r#"query($orderNo: String!) { order(orderNo: $orderNo) { orderNo } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "orders (a member gets its own)",
        query: r#"{ orders(first: 5) { edges { node { orderNo } } } }"#,
        expect: [Unauth, Allow, Allow, Allow, Allow],
    },
    Operation {
        name: "orders of alice",
        query: r#"{ orders(filter: { memberAccount: "alice@example.com" }) { edges { node { orderNo } } } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "createOrder",
        query: r#"mutation { createOrder(input: { idempotencyKey: "acl-1", source: EC, payer: { customerNo: "A0000001" },
            receiver: { name: "Alice" }, lines: [{ itemNo: "BK0002", amount: 350 }] }) { orderNo } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "recordPayment",
        query: r#"mutation($orderNo: String!) { recordPayment(input: { orderNo: $orderNo, transactionId: "acl-t",
            status: PAID, amount: 350 }) { paymentStatus } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "bindOrderMember",
        query: r#"mutation($orderNo: String!) { bindOrderMember(orderNo: $orderNo, account: "alice@example.com") { orderNo } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
    Operation {
        name: "entitlements of alice",
        query: r#"{ entitlements(account: "alice@example.com") { productCode } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "entitlements of alice's customer",
        query: r#"{ entitlements(customerNo: "A0000001") { productCode } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "grantTemporaryEntitlement",
        query: r#"mutation { grantTemporaryEntitlement(input: { account: "alice@example.com", productCode: "KCW", days: 3 }) { temporaryUntil } }"#,
        expect: [Unauth, Allow, Forbidden, Forbidden, Forbidden],
    },
    Operation {
        name: "webhookDeliveries",
        query: r#"{ webhookDeliveries(first: 5) { edges { node { id } } } }"#,
        expect: [Unauth, Allow, Forbidden, Forbidden, Forbidden],
    },
    Operation {
        name: "createWebhookEndpoint",
        query: r#"mutation { createWebhookEndpoint(input: { url: "https://93.184.215.14/hook", events: ["*"] }) { id } }"#,
        expect: [Unauth, Allow, Forbidden, Forbidden, Forbidden],
    },
    Operation {
        name: "renewals of alice",
        query: r#"{ renewals(account: "alice@example.com") { id } }"#,
        expect: [Unauth, Allow, Allow, Allow, Forbidden],
    },
    Operation {
        name: "createRenewal (unknown customer: NOT_FOUND once allowed)",
        query: r#"mutation { createRenewal(input: { customerNo: "NOPE", promotionCode: "GC18080026" }) { action } }"#,
        expect: [Unauth, NotFound, NotFound, Forbidden, Forbidden],
    },
    Operation {
        name: "retryRenewalCharge (unknown renewal: NOT_FOUND once allowed, FORBIDDEN to members)",
        query: r#"mutation { retryRenewalCharge(renewalId: "999999") { id } }"#,
        expect: [Unauth, NotFound, NotFound, Forbidden, Forbidden],
    },
    Operation {
        name: "emails",
        query: r#"{ emails(first: 5) { id subject } }"#,
        expect: [Unauth, Allow, Forbidden, Forbidden, Forbidden],
    },
    Operation {
        name: "jobRuns",
        query: r#"{ jobRuns(first: 1) { id } }"#,
        expect: [Unauth, Allow, Forbidden, Forbidden, Forbidden],
    },
    Operation {
        name: "linkMemberCustomer",
        query: r#"mutation { linkMemberCustomer(account: "alice@example.com", customerNo: "A0000001") { account } }"#,
        expect: [Unauth, Allow, Allow, Forbidden, Forbidden],
    },
];

/// Alice (linked to customer A0000001, with an order bound to her) and Bob (linked to B0000001), created
/// through the API by a service. Returns Alice's uuid and her order's number.
async fn seed_members(server: &TestServer) -> (Value, Value) {
    let service = server.token(Role::Service, "ec-backend");
    let mut alice_uuid = Value::Null;
    for (account, customer_no) in [("alice@example.com", "A0000001"), ("bob@example.com", "B0000001")] {
        let body = server
            .graphql_as(
                &service,
                r#"mutation($account: String!, $no: String!) {
                    upsertMember(input: { account: $account, email: $account }) { uuid }
                    upsertCustomer(input: { customerNo: $no, name: "訂戶" }) { customerNo }
                    linkMemberCustomer(account: $account, customerNo: $no) { account }
                }"#,
                json!({ "account": account, "no": customer_no }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        if account.starts_with("alice") {
            alice_uuid = body["data"]["upsertMember"]["uuid"].clone();
        }
    }
    let body = server
        .graphql_as(
            &service,
            r#"mutation { createOrder(input: { idempotencyKey: "acl-0", source: EC, memberAccount: "alice@example.com",
                payer: { customerNo: "A0000001" }, receiver: { name: "Alice" },
                lines: [{ itemNo: "BK0002", amount: 350 }] }) { orderNo } }"#,
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    (alice_uuid, body["data"]["createOrder"]["orderNo"].clone())
}

#[tokio::test]
async fn every_role_and_operation_is_allowed_or_denied_as_the_spec_says() {
    for server in servers(|_| {}).await {
        let (alice_uuid, order_no) = seed_members(&server).await;
        let tokens = [
            None,
            Some(server.token(Role::Admin, "ops")),
            Some(server.token(Role::Service, "ec-backend")),
            Some(server.token(Role::Member, "Alice@Example.com")),
            Some(server.token(Role::Member, "bob@example.com")),
        ];
        for operation in OPERATIONS {
            for (column, token) in tokens.iter().enumerate() {
                let variables = json!({ "uuid": alice_uuid, "orderNo": order_no });
                let request = json!({ "query": operation.query, "variables": variables });
                let (status, body) = server.post_json_as(token.as_deref(), request).await;
                let codes = error_codes(&body);
                let got = match codes.first().map(String::as_str) {
                    None => Allow,
                    Some("UNAUTHENTICATED") => Unauth,
                    Some("FORBIDDEN") => Forbidden,
                    Some("NOT_FOUND") => NotFound,
                    Some(other) => panic!(
                        "{}: {} as {}: unexpected {other}: {body}",
                        server.label(),
                        operation.name,
                        CALLERS[column]
                    ),
                };
                assert_eq!(
                    got,
                    operation.expect[column],
                    "{}: {} as {}: {body}",
                    server.label(),
                    operation.name,
                    CALLERS[column]
                );
                assert_eq!(status, 200, "guards answer inside GraphQL: {body}");
                if got == Allow {
                    assert!(body["data"].as_object().unwrap().values().all(|v| !v.is_null()), "{body}");
                }
            }
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a good token for `role`, to be spoiled one way or another.
fn claims(role: &str, sub: &str) -> Value {
    json!({ "sub": sub, "role": role, "iss": "platform", "aud": "platform-api",
            "exp": now() + 600, "nbf": now() - 10, "iat": now() - 10 })
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

/// Unpadded base64url, enough to forge tokens by hand.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

const PUBLIC_QUERY: &str = r#"{ promotion(promotionCode: "GC18080026") { totalAmount } }"#;

async fn assert_refused(server: &TestServer, token: &str, case: &str, message: &str) {
    let (status, body) = server.post_json_as(Some(token), json!({ "query": PUBLIC_QUERY })).await;
    assert_eq!(status, 401, "{}: {case}: {body}", server.label());
    assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{case}: {body}");
    let got = body["errors"][0]["message"].as_str().unwrap();
    assert!(got.contains(message), "{case}: expected {message:?}, got {got:?}");
    assert!(body["data"].is_null(), "{case}: no data with a bad token: {body}");
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let rsa_private = include_bytes!("../fixtures/keys/rsa-private.pem");
    for server in servers(|_| {}).await {
        let secret = TEST_SECRET.as_bytes();
        let good = claims("admin", "ops");
        // A token 3 s past its expiry is still inside the 5 s leeway.
        let in_leeway = hs256(&with(good.clone(), "exp", json!(now() - 3)), secret);
        let (status, body) = server.post_json_as(Some(&in_leeway), json!({ "query": PUBLIC_QUERY })).await;
        assert_eq!((status, error_codes(&body).len()), (200, 0), "{body}");

        let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = base64url(good.to_string().as_bytes());
        let alg_none = format!("{header}.{payload}.");
        let member = hs256(&claims("member", "alice@example.com"), secret);
        let parts: Vec<&str> = member.split('.').collect();
        let promoted = base64url(claims("admin", "alice@example.com").to_string().as_bytes());
        let tampered = format!("{}.{promoted}.{}", parts[0], parts[2]);
        let rs256 =
            encode(&Header::new(Algorithm::RS256), &good, &EncodingKey::from_rsa_pem(rsa_private).unwrap())
                .unwrap();

        let cases: Vec<(&str, String, &str)> = vec![
            ("expired", hs256(&with(good.clone(), "exp", json!(now() - 120)), secret), "token expired"),
            ("not yet valid", hs256(&with(good.clone(), "nbf", json!(now() + 120)), secret), "not valid yet"),
            ("missing audience", hs256(&without(good.clone(), "aud"), secret), "lacks the aud claim"),
            ("wrong audience", hs256(&with(good.clone(), "aud", json!("someone-else")), secret), "audience"),
            ("missing issuer", hs256(&without(good.clone(), "iss"), secret), "lacks the iss claim"),
            ("wrong issuer", hs256(&with(good.clone(), "iss", json!("evil")), secret), "issuer"),
            ("missing exp", hs256(&without(good.clone(), "exp"), secret), "lacks the exp claim"),
            ("missing nbf", hs256(&without(good.clone(), "nbf"), secret), "lacks the nbf claim"),
            ("missing sub", hs256(&without(good.clone(), "sub"), secret), "lacks the sub claim"),
            ("unknown role", hs256(&with(good.clone(), "role", json!("root")), secret), "role"),
            ("missing role", hs256(&without(good.clone(), "role"), secret), "role"),
            ("member with a bad account", hs256(&claims("member", "a b"), secret), "not a member account"),
            ("alg none", alg_none, "malformed"),
            ("wrong secret", hs256(&good, b"another-secret-of-at-least-32-bytes!!"), "signature"),
            ("RS256 to an HS256 server", rs256, "signature or algorithm"),
            ("tampered payload", tampered, "signature"),
            ("garbage", "not.a.token".to_owned(), "malformed"),
            (
                "issuer as an array",
                hs256(&with(good.clone(), "iss", json!(["platform"])), secret),
                "issuer must be a string",
            ),
            (
                "ten-year lifetime",
                hs256(&with(good.clone(), "exp", json!(now() + 315_360_000)), secret),
                "lifetime",
            ),
            (
                "crit header (RFC 7515 §4.1.11)",
                {
                    let mut header = Header::new(Algorithm::HS256);
                    header.crit = Some(vec!["exp".to_owned()]);
                    encode(&header, &good, &EncodingKey::from_secret(secret)).unwrap()
                },
                "crit",
            ),
        ];
        for (case, token, message) in &cases {
            assert_refused(&server, token, case, message).await;
        }
        // Not a bearer token at all.
        let response = reqwest::Client::new()
            .post(format!("{}/graphql", server.base))
            .header("authorization", "Basic YWRtaW46YWRtaW4=")
            .json(&json!({ "query": PUBLIC_QUERY }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401);
        assert_eq!(response.headers()["www-authenticate"], r#"Bearer error="invalid_token""#);
    }
}

#[tokio::test]
async fn rs256_and_eddsa_servers_accept_their_keys_and_refuse_hs256_confusion() {
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys");
    for (algorithm, name) in [(TokenAlgorithm::RS256, "rsa"), (TokenAlgorithm::EdDSA, "ed25519")] {
        let public = format!("{keys}/{name}-public.pem");
        let private = format!("{keys}/{name}-private.pem");
        for server in servers(|s| {
            s.auth.algorithm = algorithm;
            s.auth.secret = None;
            s.auth.public_key_file = Some(public.clone().into());
            s.auth.private_key_file = Some(private.clone().into());
        })
        .await
        {
            let admin = server.token(Role::Admin, "ops");
            let body = server.graphql_as(&admin, "mutation { requestUuid }", json!({})).await;
            assert!(body["data"]["requestUuid"].is_string(), "{algorithm:?} {}: {body}", server.label());

            // HS/RS confusion: an HS256 token whose "secret" is the server's public key.
            let public_pem = std::fs::read(&public).unwrap();
            let forged = hs256(&claims("admin", "ops"), &public_pem);
            assert_refused(&server, &forged, "HS256 signed with the public key", "signature or algorithm")
                .await;
            let plain = hs256(&claims("admin", "ops"), TEST_SECRET.as_bytes());
            assert_refused(&server, &plain, "HS256 to a public-key server", "signature or algorithm").await;
        }
    }
}
