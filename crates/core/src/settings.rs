//! Settings: one typed struct loaded once from defaults, a TOML file and `PLATFORM_*` environment variables
//! (later sources win). Nested keys use `__` in the environment: `PLATFORM_GRAPHQL__MAX_DEPTH=12`.
//! `DATABASE_URL` is honoured as well, as every hosting platform sets it. Every default is documented here and
//! in the README; keep the two in step.

use chrono_tz::Tz;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

mod batch;
mod ops;
mod secrets;

pub use batch::{EcpaySettings, EmailSettings, GatewaySettings, JobSchedule, JobSettings, RenewalSettings};
pub use ops::{AlertThresholds, ErpSettings, MetricsSettings, OpsSettings, SlackSettings};
pub use secrets::{PaymentSettings, Secret, TokenKeySetting};

/// The name of the settings file looked for in the working directory when none is given.
pub const DEFAULT_CONFIG_FILE: &str = "platform.toml";

/// All settings of the platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Database URL: `postgres://…` (production) or `sqlite://path?mode=rwc`.
    /// Default: none, meaning the embedded SQLite file `<data_dir>/platform.db`.
    pub database_url: Option<String>,
    /// Folder for the embedded database and other local state. Default `data`.
    pub data_dir: PathBuf,
    /// Address the HTTP server listens on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Business time zone for "today", deduct days and due dates. Default `Asia/Taipei`.
    pub time_zone: Tz,
    /// Production mode: stricter defaults (no GraphiQL or introspection unless enabled). Default `false`.
    pub production: bool,
    /// Database pool settings.
    pub database: DatabaseSettings,
    /// GraphQL endpoint settings.
    pub graphql: GraphqlSettings,
    /// Catalog settings.
    pub catalog: CatalogSettings,
    /// Orders.
    pub orders: OrderSettings,
    /// Entitlements.
    pub entitlements: EntitlementSettings,
    /// Webhook dispatch.
    pub webhooks: WebhookSettings,
    /// Renewal batches (R7–R9).
    pub renewals: RenewalSettings,
    /// The payment gateway.
    pub gateway: GatewaySettings,
    /// Payment tokens at rest (R23).
    pub payments: PaymentSettings,
    /// E-mail (R12).
    pub email: EmailSettings,
    /// The in-server job schedule (R13).
    pub jobs: JobSettings,
    /// The daily report, alerts and follow-up lists (R16, R17).
    pub ops: OpsSettings,
    /// The ERP integration (R21).
    pub erp: ErpSettings,
    /// Slack (R16).
    pub slack: SlackSettings,
    /// `GET /metrics` (R16).
    pub metrics: MetricsSettings,
    /// Access tokens (SPEC §3).
    pub auth: AuthSettings,
    /// Logging settings.
    pub log: LogSettings,
}

/// Database pool settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Pool size. Default: 4 for SQLite (one writer at a time; more readers only queue), 16 for PostgreSQL.
    pub max_connections: Option<u32>,
    /// Seconds to wait for a free connection or for the server to answer. Default `5`.
    pub connect_timeout_secs: u64,
}

/// GraphQL endpoint settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphqlSettings {
    /// Deepest allowed selection nesting. Default `12`.
    pub max_depth: usize,
    /// Highest allowed query complexity (one point per field, lists multiplied by `first`). Default `1000`.
    pub max_complexity: usize,
    /// Serve GraphiQL at `GET /graphql`. Default: on, except in production mode.
    pub graphiql: Option<bool>,
    /// Answer introspection queries. Default: on, except in production mode.
    pub introspection: Option<bool>,
    /// Largest accepted request body in bytes. Default `262144` (256 KiB).
    pub max_body_bytes: usize,
    /// Most lexical tokens in a query, counted before it is parsed. Default `5000`.
    pub max_tokens: usize,
    /// Deepest nesting of `{`, `[` and `(` in a query (selections and argument values alike), and of
    /// lists and objects in variables, checked before parsing. Default `64`.
    pub max_nesting: usize,
    /// Most fields an operation may select once its fragment spreads are expanded. Default `2000`.
    pub max_fields: usize,
    /// Longest string input (argument or variable), in characters. Default `4096`.
    pub max_string_chars: usize,
}

/// Catalog settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CatalogSettings {
    /// How long a looked-up promotion is served from memory, in milliseconds; `0` turns the cache off.
    /// The public catalog changes rarely and is read on every EC page. Default `5000`.
    pub cache_ttl_ms: u64,
    /// R18: a scheduled price change reaches a pending renewal only if its payer was told at least this
    /// many days before the charge; a renewal due sooner keeps the old price for that cycle. Default `30`.
    pub price_notice_days: u32,
}

/// Order settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderSettings {
    /// Fulfilment subinventory of new order lines (R2; seed 004 出貨倉庫 A01). Default `A01`.
    pub subinventory: String,
}

impl Default for OrderSettings {
    fn default() -> Self {
        OrderSettings { subinventory: "A01".to_owned() }
    }
}

/// Entitlement settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntitlementSettings {
    /// Days a PERIOD product (a pass) stays CURRENT after its due date before R10 lapses it. Default `0`.
    pub period_grace_days: u32,
    /// Seconds between two runs of the in-server sweep that grants paid orders of the last 7 days (catching
    /// anything the payment-time grant missed); `0` turns it off. Default `60`. (The R10 expiry is a job:
    /// see [`JobSettings`].)
    pub sweep_interval_secs: u64,
}

impl Default for EntitlementSettings {
    fn default() -> Self {
        EntitlementSettings { period_grace_days: 0, sweep_interval_secs: 60 }
    }
}

/// Webhook dispatch settings (R12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Milliseconds between dispatcher rounds in the server; `0` turns the in-server dispatcher off.
    /// Default `1000`.
    pub dispatch_interval_ms: u64,
    /// Deliveries claimed per round. Default `500`.
    pub batch: u64,
    /// Requests in flight at once. Default `32`.
    pub concurrency: usize,
    /// Requests in flight at once to one endpoint, so that a slow receiver cannot hold every slot; an
    /// endpoint that gives no HTTP response is skipped for the rest of the round. Default `16` (half the slots).
    pub per_endpoint_concurrency: usize,
    /// Per-request timeout in seconds. Default `15`.
    pub timeout_secs: u64,
    /// Waits after each failed attempt, in seconds; after the last the delivery is dead. Default the SPEC's
    /// `[5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]` (with ±10 % jitter).
    pub retry_schedule_secs: Vec<u64>,
    /// Let endpoints (and every other outbound request) reach loopback, private, link-local and metadata
    /// addresses. Off, an endpoint on such an address is refused at registration and at each connection
    /// (SSRF). Turn it on for receivers on this machine or a private network. Default `false`.
    pub allow_private_networks: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            dispatch_interval_ms: 1000,
            batch: 500,
            concurrency: 32,
            per_endpoint_concurrency: 16,
            timeout_secs: 15,
            retry_schedule_secs: vec![5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400],
            allow_private_networks: false,
        }
    }
}

/// Access token settings (SPEC §3). Tokens are JWTs; the algorithm is pinned to the configured one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// `HS256` (shared secret), `RS256` or `EdDSA` (public key). Default `HS256`.
    pub algorithm: TokenAlgorithm,
    /// HS256 secret, at least 32 bytes. Default: none, meaning a secret generated once and kept in
    /// `<data_dir>/auth-secret` (refused in production mode).
    pub secret: Option<Secret>,
    /// RS256/EdDSA: PEM file of the public key that verifies tokens.
    pub public_key_file: Option<PathBuf>,
    /// RS256/EdDSA: PEM file of the private key `platform token` signs with (only where tokens are minted).
    pub private_key_file: Option<PathBuf>,
    /// Required `iss` claim. Default `platform`.
    pub issuer: String,
    /// Required `aud` claim. Default `platform-api`.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds, at most 30. Default `5`.
    pub leeway_secs: u64,
    /// Longest lifetime of a token, in seconds: `platform token` mints no longer one, and a token whose
    /// `exp` is further than this from its `nbf` (or from now) is refused. Default `2592000` (30 days).
    pub max_token_ttl_secs: u64,
}

/// The signing algorithms a deployment may pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenAlgorithm {
    /// HMAC with SHA-256 and a shared secret.
    HS256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    RS256,
    /// Ed25519.
    EdDSA,
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `tracing` filter directive; `RUST_LOG` overrides it. Default `info`.
    pub filter: String,
    /// `text` or `json`. Default `text`.
    pub format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            time_zone: crate::time::DEFAULT_TIME_ZONE,
            production: false,
            database: DatabaseSettings::default(),
            graphql: GraphqlSettings::default(),
            catalog: CatalogSettings::default(),
            orders: OrderSettings::default(),
            entitlements: EntitlementSettings::default(),
            webhooks: WebhookSettings::default(),
            renewals: RenewalSettings::default(),
            gateway: GatewaySettings::default(),
            payments: PaymentSettings::default(),
            email: EmailSettings::default(),
            jobs: JobSettings::default(),
            ops: OpsSettings::default(),
            erp: ErpSettings::default(),
            slack: SlackSettings::default(),
            metrics: MetricsSettings::default(),
            auth: AuthSettings::default(),
            log: LogSettings::default(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings { max_connections: None, connect_timeout_secs: 5 }
    }
}

impl Default for GraphqlSettings {
    fn default() -> Self {
        GraphqlSettings {
            max_depth: 12,
            max_complexity: 1000,
            graphiql: None,
            introspection: None,
            max_body_bytes: 256 * 1024,
            max_tokens: 5_000,
            max_nesting: 64,
            max_fields: 2_000,
            max_string_chars: 4_096,
        }
    }
}

impl Default for CatalogSettings {
    fn default() -> Self {
        CatalogSettings { cache_ttl_ms: 5000, price_notice_days: 30 }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            algorithm: TokenAlgorithm::HS256,
            secret: None,
            public_key_file: None,
            private_key_file: None,
            issuer: "platform".to_owned(),
            audience: "platform-api".to_owned(),
            leeway_secs: 5,
            max_token_ttl_secs: 30 * 24 * 3600,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { filter: "info".to_owned(), format: LogFormat::Text }
    }
}

impl Settings {
    /// Loads settings: defaults, then the TOML file (`config`, else `$PLATFORM_CONFIG`, else
    /// `platform.toml` when it exists), then `PLATFORM_*` variables, then `DATABASE_URL`.
    pub fn load(config: Option<&Path>) -> Result<Settings, Box<figment::Error>> {
        let explicit =
            config.map(Path::to_path_buf).or_else(|| std::env::var_os("PLATFORM_CONFIG").map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match explicit {
            // A file the operator named must exist; a missing default file is fine.
            Some(path) if !path.exists() => {
                return Err(Box::new(figment::Error::from(format!(
                    "settings file {} does not exist",
                    path.display()
                ))));
            }
            Some(path) => figment = figment.merge(Toml::file(path)),
            None => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
        }
        figment = figment.merge(Env::prefixed("PLATFORM_").ignore(&["CONFIG"]).split("__"));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.ops.check().map_err(|e| Box::new(figment::Error::from(e)))?;
        settings.erp.check().map_err(|e| Box::new(figment::Error::from(e)))?;
        settings.gateway.check().map_err(|e| Box::new(figment::Error::from(e)))?;
        Ok(settings)
    }

    /// The database URL in effect: the configured one or the embedded SQLite file in `data_dir`.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => format!("sqlite://{}?mode=rwc", self.data_dir.join("platform.db").display()),
        }
    }

    /// Whether GraphiQL is served.
    pub fn graphiql_enabled(&self) -> bool {
        self.graphql.graphiql.unwrap_or(!self.production)
    }

    /// Whether introspection queries are answered.
    pub fn introspection_enabled(&self) -> bool {
        self.graphql.introspection.unwrap_or(!self.production)
    }
}

/// The configured time zone as a [`crate::BusinessCalendar`].
impl From<&Settings> for crate::BusinessCalendar {
    fn from(settings: &Settings) -> Self {
        crate::BusinessCalendar::new(settings.time_zone)
    }
}

#[cfg(test)]
mod tests;
