//! The settings' own tests: defaults, the example file, the environment, refusals.

use super::*;

#[test]
fn defaults_are_the_documented_ones() {
    let s = Settings::default();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.time_zone, chrono_tz::Asia::Taipei);
    assert_eq!(s.effective_database_url(), "sqlite://data/platform.db?mode=rwc");
    assert!(s.graphiql_enabled() && s.introspection_enabled());
    let prod = Settings { production: true, ..Settings::default() };
    assert!(!prod.graphiql_enabled() && !prod.introspection_enabled());
}

#[test]
fn secrets_never_show_in_debug_output() {
    let mut s = Settings::default();
    s.auth.secret = Some(Secret::new("do-not-print-me-0123456789abcdef"));
    s.email.smtp_url = Some(Secret::new("smtp://user:do-not-print-me-either@127.0.0.1:25"));
    let shown = format!("{s:?}");
    assert!(!shown.contains("do-not-print-me"), "{shown}");
    assert!(shown.contains("redacted"));
}

#[test]
fn example_file_documents_exactly_the_defaults() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../platform.example.toml");
    let loaded: Settings = Figment::from(Toml::file(example)).extract().unwrap();
    assert_eq!(loaded, Settings::default());
}

#[test]
fn toml_file_overrides_defaults_and_rejects_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    std::fs::write(
        &file,
        "listen = \"0.0.0.0:9000\"\ntime_zone = \"Asia/Tokyo\"\n[graphql]\nmax_depth = 5\n",
    )
    .unwrap();
    let s = Settings::load(Some(&file)).unwrap();
    assert_eq!(s.listen.port(), 9000);
    assert_eq!(s.time_zone, chrono_tz::Asia::Tokyo);
    assert_eq!(s.graphql.max_depth, 5);
    assert_eq!(s.graphql.max_complexity, 1000);

    std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
    let err = Settings::load(Some(&file)).unwrap_err().to_string();
    assert!(err.contains("lisen"), "{err}");

    let missing = Settings::load(Some(&dir.path().join("nope.toml"))).unwrap_err().to_string();
    assert!(missing.contains("does not exist"), "{missing}");
}
