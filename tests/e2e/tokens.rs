//! R23, payment tokens at rest, with the real binary: what createOrder and createRenewal store is sealed
//! (checked with SQL), a token stored in clear before encryption is sealed by the next start, a key the
//! settings lack or a wrong key stops the start loudly, and `platform rotate-token-key` re-seals everything
//! with the new key so the old one can be removed.

use crate::orders::{CREATE, order_input};
use crate::support::servers;
use members::Role;
use platform_core::tokens::TokenKeys;
use serde_json::json;
use test_support::{count, execute};

/// The built-in development key (what the in-process server sealed with), in base64.
const DEV: &str = "cGxhdGZvcm0tZGV2ZWxvcG1lbnQtdG9rZW4ta2V5ISE=";
const K1: &str = "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
const WRONG_K1: &str = "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk=";

/// Runs `platform --config <keys> --database-url <url> <args>`: (success, stdout + stderr).
fn platform(folder: &std::path::Path, url: &str, keys: &str, args: &[&str]) -> (bool, String) {
    let config = folder.join("platform.toml");
    std::fs::write(&config, format!("[payments]\n{keys}\n")).unwrap();
    let config = config.to_string_lossy().into_owned();
    let all: Vec<&str> = ["--config", config.as_str(), "--database-url", url]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    crate::support::platform_cli(folder, &all)
}

#[tokio::test]
async fn r23_payment_tokens_are_sealed_at_rest_and_rotated() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let member = r#"mutation { upsertMember(input: { account: "vault@example.com" }) { account } }"#;
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let mut input = order_input("tk-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        input["memberAccount"] = json!("vault@example.com");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let customer_no = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-tk", status: PAID, amount: 3480 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());
        let renewal =
            r#"mutation($input: CreateRenewalInput!) { createRenewal(input: $input) { renewal { id } } }"#;
        let made = server
            .graphql_as(&service, renewal, json!({ "input": { "customerNo": customer_no, "memberAccount": "vault@example.com",
                "promotionCode": "GC18080026", "originOrderNo": order_no, "paymentToken": "tok_ok_vault_1881", "cardLast4": "1881" } }))
            .await;
        assert!(made["errors"].is_null(), "{}: {made}", server.label());
        let db = &server.db.conn;
        // Nothing in clear: both columns hold only sealed values.
        for table in ["orders", "renewals"] {
            assert_eq!(
                count(db, &format!("{table} WHERE payment_token NOT LIKE 'tk1:%'")).await,
                0,
                "{table}"
            );
            assert!(
                count(db, &format!("{table} WHERE payment_token LIKE 'tk1:dev:%'")).await >= 1,
                "{table}"
            );
        }
        // A token stored before encryption.
        execute(db, "UPDATE renewals SET payment_token = 'tok_ok_legacy_clear'").await;

        let folder = tempfile::tempdir().unwrap();
        let url = server.db.url.as_str();
        let only_k1 = format!("token_keys = [{{ id = \"k1\", key = \"{K1}\" }}]\nactive_token_key = \"k1\"");
        let both = format!(
            "token_keys = [{{ id = \"dev\", key = \"{DEV}\" }}, {{ id = \"k1\", key = \"{K1}\" }}]\nactive_token_key = \"k1\""
        );
        // The settings lack the key the orders were sealed with: the start stops, naming it.
        let (ok, text) = platform(folder.path(), url, &only_k1, &["migrate"]);
        assert!(!ok && text.contains("\"dev\""), "{text}");
        // Both keys: the start seals the clear token with the active key; rotation re-seals the rest.
        let (ok, text) = platform(folder.path(), url, &both, &["migrate"]);
        assert!(ok && text.contains("1 payment token(s) sealed"), "{text}");
        assert_eq!(count(db, "renewals WHERE payment_token NOT LIKE 'tk1:%'").await, 0);
        let (ok, text) = platform(folder.path(), url, &both, &["rotate-token-key"]);
        assert!(ok && text.contains("re-sealed with key \"k1\""), "{text}");
        for table in ["orders", "renewals"] {
            let all = count(db, &format!("{table} WHERE payment_token IS NOT NULL")).await;
            assert_eq!(
                count(db, &format!("{table} WHERE payment_token LIKE 'tk1:k1:%'")).await,
                all,
                "{table}"
            );
        }
        let (ok, text) = platform(folder.path(), url, &both, &["rotate-token-key"]);
        assert!(ok && text.starts_with("0 payment token(s)"), "nothing left to rotate: {text}");
        // The old key can go; the tokens open with the new one alone and are the ones stored.
        let (ok, text) = platform(folder.path(), url, &only_k1, &["migrate"]);
        assert!(ok, "{text}");
        let k1 = TokenKeys::new([("k1", K1)], "k1").unwrap();
        let stored =
            crate::support::text(db, "SELECT payment_token FROM orders WHERE payment_token IS NOT NULL")
                .await;
        assert_eq!(k1.open(&stored.unwrap()).unwrap(), "tok_ok_4242_secret");
        let stored =
            crate::support::text(db, "SELECT payment_token FROM renewals WHERE payment_token IS NOT NULL")
                .await;
        assert_eq!(k1.open(&stored.unwrap()).unwrap(), "tok_ok_legacy_clear");
        // A wrong key under the right id fails loudly too.
        let wrong =
            format!("token_keys = [{{ id = \"k1\", key = \"{WRONG_K1}\" }}]\nactive_token_key = \"k1\"");
        let (ok, text) = platform(folder.path(), url, &wrong, &["migrate"]);
        assert!(!ok && text.contains("does not open"), "{text}");
        // Production refuses the built-in key.
        let (ok, text) = {
            let folder = folder.path();
            std::fs::write(folder.join("platform.toml"), "production = true\n").unwrap();
            crate::support::platform_cli(
                folder,
                &["--config", "platform.toml", "--database-url", url, "migrate"],
            )
        };
        assert!(!ok && text.contains("payments.token_keys"), "{text}");
    }
}
