//! `GET /metrics` (R16): Prometheus text format, parsed by the reference parser of the Prometheus
//! project's Python client (PyPI `prometheus-client`, code we did not write); the counters move as
//! requests are made; only admins or allowed networks may scrape; off when disabled.

use crate::support::servers;
use members::Role;
use std::io::Write;

/// The metric families and samples as the reference parser reads them: `name{labels} value` lines, or
/// `None` when python3 or the library is missing (CI sets REQUIRE_PROMETHEUS_CLIENT=1 and installs it).
fn parse_with_reference(text: &str) -> Option<String> {
    let required = std::env::var("REQUIRE_PROMETHEUS_CLIENT").is_ok_and(|v| v == "1");
    let probe = std::process::Command::new("python3").args(["-c", "import prometheus_client"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(!required, "REQUIRE_PROMETHEUS_CLIENT=1 but python3 cannot import prometheus_client");
        return None;
    }
    let script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\n\
        for f in text_string_to_metric_families(sys.stdin.read()):\n\
        \x20   for s in f.samples:\n\
        \x20       labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))\n\
        \x20       print(f'{f.type} {s.name}{{{labels}}} {s.value}')\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the reference parser refused our text: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The value of the sample whose line starts with `prefix` in our own text.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(base: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{base}/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn r16_metrics_are_prometheus_text_that_moves_with_requests_and_admins_only() {
    for server in servers(|_| {}).await {
        let admin = server.token(Role::Admin, "ops");
        assert_eq!(scrape(&server.base, None).await.0, 401, "{}", server.label());
        assert_eq!(scrape(&server.base, Some(&server.token(Role::Member, "a@example.com"))).await.0, 403);

        let lookups = "graphql_requests_total{operation=\"promotion\",outcome=\"ok\"}";
        let forbidden = "graphql_errors_total{code=\"FORBIDDEN\"}";
        let (_, before) = scrape(&server.base, Some(&admin)).await;
        for _ in 0..3 {
            let body = server
                .graphql(
                    "{ promotion(promotionCode: \"GC18080026\") { promotionCode } }",
                    serde_json::json!({}),
                )
                .await;
            assert!(body["errors"].is_null(), "{body}");
        }
        let member = server.token(Role::Member, "a@example.com");
        server.graphql_as(&member, "{ followUps { edges { node { id } } } }", serde_json::json!({})).await;
        server.graphql("{ noSuchField }", serde_json::json!({})).await;
        let (status, after) = scrape(&server.base, Some(&admin)).await;
        assert_eq!(status, 200);
        assert!(sample(&after, lookups) >= sample(&before, lookups) + 3.0, "{after}");
        assert!(sample(&after, forbidden) >= sample(&before, forbidden) + 1.0);
        assert!(
            after.contains(
                "graphql_request_duration_seconds_bucket{operation=\"promotion\",outcome=\"ok\",le="
            ),
            "a latency histogram"
        );
        assert!(after.contains("backlog_items{queue=\"webhooks\"}"), "{after}");
        assert!(after.contains("db_pool_connections{state=\"in_use\"}"));
        assert!(!after.contains("noSuchField"), "labels come from the schema, not from the client");
        if let Some(parsed) = parse_with_reference(&after) {
            assert!(
                parsed
                    .lines()
                    .any(|l| l.starts_with("counter graphql_requests_total{operation=promotion,outcome=ok}")),
                "{parsed}"
            );
            assert!(
                parsed.lines().any(|l| l.starts_with("histogram graphql_request_duration_seconds_bucket{"))
            );
            assert!(parsed.lines().any(|l| l.starts_with("gauge backlog_items{queue=emails}")));
        }
    }
    for server in servers(|s| s.metrics.allowed_networks = vec!["127.0.0.0/8".into()]).await {
        assert_eq!(scrape(&server.base, None).await.0, 200, "an allowed network scrapes without a token");
    }
    for server in servers(|s| s.metrics.enabled = false).await {
        assert_eq!(scrape(&server.base, Some(&server.token(Role::Admin, "ops"))).await.0, 404);
    }
}
