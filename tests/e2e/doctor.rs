//! `platform doctor` (R22) against a good and a broken setup.

use platform::doctor::{self, Level};
use platform_core::Settings;
use platform_core::settings::Secret;

fn level_of(checks: &[doctor::Check], name: &str) -> Level {
    checks.iter().find(|c| c.name == name).map(|c| c.level).unwrap()
}

#[tokio::test]
async fn r22_doctor_passes_a_good_setup_and_names_what_is_broken() {
    platform::install_tls_provider();
    let smtp = test_support::smtp::SmtpReceiver::start().await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let mut good = Settings { data_dir: folder.path().join("data"), ..Settings::default() };
    good.auth.secret = Some(Secret::new("kq9V2mXr7pL0zB4wN8sT6yH1jD3fG5cQ"));
    good.email.smtp_url = Some(Secret::new(smtp.url.clone()));
    let db = platform::database::open(&good).await.unwrap();
    platform::database::migrate(&db).await.unwrap();
    let checks = doctor::run(Ok(good.clone())).await;
    assert!(checks.iter().all(|c| c.level != Level::Fail), "{}", doctor::text(&checks));
    for name in [
        "settings",
        "secrets",
        "data_dir",
        "database",
        "migrations",
        "time_zone",
        "smtp",
        "gateway",
        "token_keys",
        "schedule",
    ] {
        assert_eq!(level_of(&checks, name), Level::Ok, "{name}: {}", doctor::text(&checks));
    }

    // Broken: the SMTP port closed, the data directory a file, a database without its migrations, a weak
    // secret in production.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let file = folder.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let mut broken = Settings {
        data_dir: file,
        production: true,
        database_url: Some(format!("sqlite://{}?mode=rwc", folder.path().join("empty.db").display())),
        ..Settings::default()
    };
    broken.auth.secret = Some(Secret::new("secretsecretsecretsecretsecret12"));
    broken.email.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{closed_port}")));
    let checks = doctor::run(Ok(broken)).await;
    for name in ["smtp", "data_dir", "migrations", "secrets", "token_keys"] {
        assert_eq!(level_of(&checks, name), Level::Fail, "{name}: {}", doctor::text(&checks));
    }
    let text = doctor::text(&checks);
    assert!(text.contains("platform migrate") && text.contains("openssl rand"), "says what to do: {text}");
    assert!(!text.contains("secretsecret"), "no secret in the output: {text}");

    // Settings that do not load are a FAIL line, not a crash.
    let checks = doctor::run(Err("settings: unknown field `smtp`".into())).await;
    assert_eq!(level_of(&checks, "settings"), Level::Fail);

    // The binary: exit 1 on FAIL, JSON on request.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_platform"))
        .args(["doctor", "--json"])
        .env("PLATFORM_DATA_DIR", folder.path().join("not-a-dir"))
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", folder.path().join("bin.db").display()))
        .current_dir(folder.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        json.as_array().unwrap().iter().any(|c| c["name"] == "data_dir" && c["level"] == "FAIL"),
        "{json}"
    );
}
