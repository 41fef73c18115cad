//! The real `platform` binary: schema, start-up errors and `serve --demo` from an empty folder.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_platform");

#[test]
fn checked_in_schema_matches_the_code() {
    let output = Command::new(BIN).arg("schema").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema.graphql")).unwrap();
    assert!(
        printed == checked_in,
        "schema.graphql is stale: run `cargo run -q -- schema > schema.graphql` and commit it"
    );
    for field in [
        "promotion(promotionCode: String!): Promotion",
        "promotions(first: Int, after: String, filter: PromotionFilter): PromotionConnection!",
        "item(itemNo: String!): Item",
    ] {
        assert!(printed.contains(field), "{field}");
    }
}

#[test]
fn unreachable_database_is_one_line_naming_the_masked_url() {
    let folder = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .current_dir(folder.path())
        .env("PLATFORM_DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .args(["--database-url", "postgres://app:hunter2@127.0.0.1:1/platform", "migrate"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: cannot open database postgres://app:***@127.0.0.1:1/platform"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2") && !stderr.contains("panicked") && !stderr.contains("backtrace"));
}

#[test]
fn bad_settings_stop_start_up_with_a_clear_message() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("platform.toml"), "listn = \"x\"\n").unwrap();
    let output = Command::new(BIN).current_dir(folder.path()).arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error: settings:") && stderr.contains("listn"), "{stderr}");
}

/// A `platform serve --demo` process in `folder`, on a free port.
struct Served {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    base: String,
    /// The "listening" line.
    line: String,
    /// The admin token printed under it.
    admin_token: String,
}

fn serve_demo(folder: &std::path::Path) -> Served {
    let mut child = Command::new(BIN)
        .current_dir(folder)
        .env_remove("DATABASE_URL")
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_owned();
    let mut heading = String::new();
    stdout.read_line(&mut heading).unwrap();
    assert!(heading.starts_with("admin token (valid 24 h"), "{heading}");
    let mut admin_token = String::new();
    stdout.read_line(&mut admin_token).unwrap();
    Served { child, base, line, admin_token: admin_token.trim().to_owned() }
}

/// The resident memory of a process, in KiB (Linux).
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Issue #14 against the real binary: the deep-value crash, the fragment bomb and a fuzz of random
/// nesting. Every request is answered, the process is still running afterwards and serves the seed
/// query, and its memory has not grown by more than a few MB.
#[tokio::test]
async fn hostile_requests_do_not_stop_or_bloat_the_real_binary() {
    use crate::hostile::{SEED_QUERY, deep_value_query, fragment_bomb};
    platform::install_tls_provider();
    let folder = tempfile::tempdir().unwrap();
    let Served { mut child, base, .. } = serve_demo(folder.path());
    let client = reqwest::Client::new();
    let post = |query: String| {
        let request = client.post(format!("{base}/graphql")).json(&serde_json::json!({ "query": query }));
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    assert_eq!(post(SEED_QUERY.to_owned()).await["data"]["promotion"]["totalAmount"], 3480);
    let before = resident_kib(child.id());
    for _ in 0..3 {
        for query in [
            deep_value_query(1_800),
            deep_value_query(50_000),
            fragment_bomb(24, "__typename"),
            fragment_bomb(29, "__typename"),
        ] {
            let body = post(query).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        }
    }
    // Random nesting: brackets, braces, parentheses, strings and names in random order and depth.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces =
        ["[", "]", "{", "}", "(", ")", "\"x\"", "a:", "$v", "...F", "fragment", " ", "#c\n", "\"\"\""];
    for _ in 0..300 {
        let length = 1 + (next() % 3_000) as usize;
        let query: String = (0..length).map(|_| pieces[(next() % pieces.len() as u64) as usize]).collect();
        let body = post(format!("{{ promotion(promotionCode: {query}) {{ name }} }}")).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    }
    assert!(child.try_wait().unwrap().is_none(), "the server is still running");
    assert_eq!(post(SEED_QUERY.to_owned()).await["data"]["promotion"]["totalAmount"], 3480);
    let after = resident_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(after < before + 64 * 1024, "resident memory grew from {before} KiB to {after} KiB");
}

/// `platform serve --demo` with no configuration: creates the SQLite file, migrates, loads the demo,
/// generates a token secret and prints an admin token that works, and answers the seed query; a second
/// start over the same file keeps working (the demo load is idempotent, the secret is reused, so a token
/// minted by `platform token` in that folder is valid too).
#[tokio::test]
async fn serve_demo_from_an_empty_folder() {
    platform::install_tls_provider();
    let folder = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let Served { mut child, base, line, admin_token: printed_token } = serve_demo(folder.path());
        let minted = Command::new(BIN)
            .current_dir(folder.path())
            .args(["token", "--role", "service", "--sub", "ec-backend", "--ttl", "5m"])
            .output()
            .unwrap();
        assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
        let service_token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
        for token in [&printed_token, &service_token] {
            let body: serde_json::Value = reqwest::Client::new()
                .post(format!("{base}/graphql"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "query": "mutation { requestUuid }" }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(body["data"]["requestUuid"].is_string(), "round {round}: {body}");
        }
        let body: serde_json::Value = reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .json(&serde_json::json!({ "query": r#"{ promotion(promotionCode: "GC18080026") { totalAmount } }"# }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(body["data"]["promotion"]["totalAmount"], 3480, "{line}: {body}");
        assert!(folder.path().join("data/platform.db").exists());
    }
}

/// `platform ops-link` prints a link that logs in to the served console once.
#[tokio::test]
async fn ops_link_from_the_command_line_logs_in_to_the_served_console_once() {
    platform::install_tls_provider();
    let folder = tempfile::tempdir().unwrap();
    let Served { mut child, base, .. } = serve_demo(folder.path());
    let printed = Command::new(BIN)
        .current_dir(folder.path())
        .env_remove("DATABASE_URL")
        .args(["ops-link", "--sub", "ops-ken", "--base-url", &base])
        .output()
        .unwrap();
    assert!(printed.status.success(), "{}", String::from_utf8_lossy(&printed.stderr));
    let stdout = String::from_utf8(printed.stdout).unwrap();
    let link = stdout.lines().next().unwrap().to_owned();
    assert!(stdout.contains("valid 10 minutes, once"), "{stdout}");
    let path = link.strip_prefix(&base).unwrap_or_else(|| panic!("{link} is on {base}"));
    let mut visitor = crate::console::Visitor::at(&base);
    let page = visitor.get(path).await.text().await.unwrap();
    let (key, csrf) = (crate::console::hidden(&page, "key"), crate::console::hidden(&page, "csrf"));
    let used = visitor.post("/ops/link", &[("key", key.as_str()), ("csrf", csrf.as_str())]).await;
    assert_eq!(used.status(), reqwest::StatusCode::SEE_OTHER);
    let today = visitor.get("/ops").await;
    assert_eq!(today.status(), reqwest::StatusCode::OK);
    assert!(today.text().await.unwrap().contains("ops-ken"));
    let csrf = visitor.login_csrf().await;
    let again = visitor.post("/ops/link", &[("key", key.as_str()), ("csrf", csrf.as_str())]).await;
    assert_eq!(again.status(), reqwest::StatusCode::FORBIDDEN, "used once");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn production_mode_refuses_a_generated_or_short_secret() {
    let folder = tempfile::tempdir().unwrap();
    for (secret, expected) in [
        (None, "production mode needs auth.secret"),
        (Some("short-secret"), "auth.secret: must be at least 32 bytes"),
    ] {
        let mut command = Command::new(BIN);
        command.current_dir(folder.path()).env("PLATFORM_PRODUCTION", "true").env_remove("DATABASE_URL");
        if let Some(secret) = secret {
            command.env("PLATFORM_AUTH__SECRET", secret);
        }
        let output = command.args(["serve", "--listen", "127.0.0.1:0"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.starts_with("error: ") && stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("short-secret"), "the secret is never echoed: {stderr}");
    }
    assert!(!folder.path().join("data/auth-secret").exists(), "production never generates a secret");
}

#[test]
fn token_command_checks_its_arguments() {
    let folder = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| Command::new(BIN).current_dir(folder.path()).args(args).output().unwrap();
    let bad_role = run(&["token", "--role", "root", "--sub", "x"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("use admin, service or member"));
    let bad_ttl = run(&["token", "--role", "admin", "--sub", "x", "--ttl", "soon"]);
    assert!(!bad_ttl.status.success());
    let forever = run(&["token", "--role", "admin", "--sub", "x", "--ttl", "31d"]);
    assert_eq!(forever.status.code(), Some(1), "longer than auth.max_token_ttl_secs");
    assert!(String::from_utf8_lossy(&forever.stderr).contains("at most 2592000 s"), "{forever:?}");
    let bad_member = run(&["token", "--role", "member", "--sub", "has space"]);
    assert_eq!(bad_member.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_member.stderr).contains("member subject"));
    let ok = run(&["token", "--role", "member", "--sub", " Sun1229@Gmail.com "]);
    assert!(ok.status.success());
    assert_eq!(String::from_utf8(ok.stdout).unwrap().trim().split('.').count(), 3, "a JWT");
}

#[test]
fn jobs_run_expiry_and_grant_sweep_from_the_command_line() {
    let folder = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN).current_dir(folder.path()).env_remove("DATABASE_URL").args(args).output().unwrap()
    };
    let expired = run(&["jobs", "run", "expire-entitlements", "--as-of", "2026-11-22"]);
    assert!(expired.status.success(), "{}", String::from_utf8_lossy(&expired.stderr));
    assert_eq!(
        String::from_utf8(expired.stdout).unwrap(),
        "EXPIRE_ENTITLEMENTS as of 2026-11-22: Succeeded, 0 processed, 0 failed (run 1)\n"
    );
    let granted = run(&["jobs", "run", "GRANT_ENTITLEMENTS"]);
    assert!(granted.status.success(), "{}", String::from_utf8_lossy(&granted.stderr));
    assert!(String::from_utf8(granted.stdout).unwrap().contains("GRANT_ENTITLEMENTS as of "));
    let dispatched = run(&["jobs", "run", "dispatch-webhooks"]);
    assert!(
        String::from_utf8(dispatched.stdout).unwrap().ends_with("Succeeded, 0 processed, 0 failed (run 3)\n")
    );
    let bad = run(&["jobs", "run", "expire-entitlements", "--as-of", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2), "clap refuses a bad date");
    let production = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(folder.path())
            .env_remove("DATABASE_URL")
            .env("PLATFORM_PRODUCTION", "true")
            // Production refuses the built-in token key (R23): its own, from the environment.
            .env("PLATFORM_PAYMENTS__ACTIVE_TOKEN_KEY", "k1")
            .env(
                "PLATFORM_PAYMENTS__TOKEN_KEYS",
                r#"[{id="k1",key="MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE="}]"#,
            )
            .env("USER", "alice")
            .args(args)
            .output()
            .unwrap()
    };
    let far = production(&["jobs", "run", "charge-renewals", "--as-of", "9999-12-31"]);
    assert_eq!(far.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&far.stderr).contains("pass force to run it anyway"), "{far:?}");
    let forced = production(&["jobs", "run", "expire-entitlements", "--as-of", "2030-01-01", "--force"]);
    assert!(forced.status.success(), "{}", String::from_utf8_lossy(&forced.stderr));
    assert!(
        String::from_utf8_lossy(&forced.stdout).ends_with("(run 4, forced by cli:alice)\n"),
        "{forced:?}"
    );
}

/// R14/R15 through the real binary: the summary on stdout, exit 1 and a rejects file when rows were
/// refused, exit 0 on a clean re-run, `--dry-run` writing nothing, and `anonymize` refused on production.
#[test]
fn r14_r15_import_and_anonymize_from_the_command_line() {
    let folder = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(folder.path())
            .env("DATABASE_URL", format!("sqlite://{}/cli.db?mode=rwc", folder.path().display()))
            .env("PLATFORM_LOG__FILTER", "warn")
            .args(args)
            .output()
            .unwrap()
    };
    let file = folder.path().join("customers.csv");
    std::fs::write(
        &file,
        "customerNo,name,email\nCW0000001,陳志明,chen@example.com\nCW0000002,林春嬌,broken\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let dry = run(&["import", "customers", file, "--dry-run"]);
    assert_eq!(dry.status.code(), Some(1), "{}", String::from_utf8_lossy(&dry.stderr));
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(
        stdout.starts_with("dry run, nothing written — customers: read 2, inserted 1"),
        "{stdout} {}",
        String::from_utf8_lossy(&dry.stderr)
    );

    let first = run(&["import", "customers", file]);
    assert_eq!(first.status.code(), Some(1), "a rejected row makes the exit code 1");
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.starts_with("customers: read 2, inserted 1, updated 0, unchanged 0, rejected 1"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("1 row(s) rejected: see") && stderr.contains("customers.csv.rejects.csv"),
        "{stderr}"
    );
    let rejects = std::fs::read_to_string(format!("{file}.rejects.csv")).unwrap();
    assert!(rejects.starts_with("line,reason,customerNo,name,email\n3,"), "{rejects}");
    assert!(rejects.contains("林春嬌,broken"), "{rejects}");

    std::fs::write(file, "customerNo,name,email\nCW0000001,陳志明,chen@example.com\n").unwrap();
    let again = run(&["import", "customers", file]);
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("inserted 0, updated 0, unchanged 1, rejected 0")
    );

    // Bad bytes half-way: the lines before land, the summary says so, and the error names the line.
    let mut broken = b"customerNo,name\nCW0000003,a\nCW0000004,b\n".to_vec();
    broken.extend_from_slice(b"CW0000005,\xff\n");
    let broken_file = folder.path().join("broken.csv");
    std::fs::write(&broken_file, broken).unwrap();
    let stopped = run(&["import", "customers", broken_file.to_str().unwrap(), "--batch", "1"]);
    assert_eq!(stopped.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&stopped.stdout).starts_with("customers: read 2, inserted 2"),
        "{stopped:?}"
    );
    let stderr = String::from_utf8_lossy(&stopped.stderr);
    assert!(stderr.contains("stopped at line 4") && stderr.contains("re-run the file to resume"), "{stderr}");

    let unknown = run(&["import", "customer", file]);
    assert_eq!(unknown.status.code(), Some(2), "clap refuses an unknown kind");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("member-customers"));

    assert!(run(&["environment", "--set", "production"]).status.success());
    let refused = run(&["anonymize"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("marked production"));
    assert!(run(&["environment", "--set", "development"]).status.success());
    let masked = run(&["anonymize"]);
    assert!(masked.status.success(), "{}", String::from_utf8_lossy(&masked.stderr));
    assert!(String::from_utf8_lossy(&masked.stdout).contains("customers: 3 row(s)"));
    let shown = run(&["environment"]);
    assert_eq!(String::from_utf8_lossy(&shown.stdout), "development\n");
}

/// Several instances starting at once on a fresh database (issue #15 item 5): three `platform migrate`
/// at the same time all succeed, and every migration is applied exactly once, on SQLite and PostgreSQL.
#[test]
fn concurrent_first_starts_migrate_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fresh = runtime.block_on(test_support::empty_databases());
    for (url, _cleanup) in &fresh {
        let folder = tempfile::tempdir().unwrap();
        let children: Vec<_> = (0..3)
            .map(|_| {
                Command::new(BIN)
                    .current_dir(folder.path())
                    .env("DATABASE_URL", url)
                    .env("PLATFORM_LOG__FILTER", "warn")
                    .arg("migrate")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{url}: {}", String::from_utf8_lossy(&output.stderr));
        }
        let applied = runtime.block_on(async {
            let settings = platform_core::settings::DatabaseSettings::default();
            let conn = platform_core::db::connect(url, &settings).await.unwrap();
            let count = test_support::count(&conn, "seaql_migrations").await;
            conn.close().await.unwrap();
            count
        });
        let expected = <migration::Migrator as migration::MigratorTrait>::migrations().len();
        assert_eq!(applied, i64::try_from(expected).unwrap(), "{url}");
    }
}
