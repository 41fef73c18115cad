//! Settings of operations (R16, R17): the daily report and its recipients, the alert thresholds and
//! checks, Slack, and the metrics endpoint.

use super::Secret;
use serde::{Deserialize, Serialize};

/// The daily report, alerts and the failed-charges list (R16, R17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OpsSettings {
    /// Where the failed-charges list (and other operator e-mails) go. Default none.
    pub report_recipients: Vec<String>,
    /// Business time (`HH:MM`) of the `DAILY_REPORT` job, which reports on the day before; empty: off.
    /// Default `09:30`.
    pub daily_report_at: String,
    /// Seconds between two `ALERT_CHECK` runs; `0`: off. Default `900` (seed 002: every 15 minutes).
    pub alert_check_every_secs: u64,
    /// Days of the month of the `FAILED_CHARGES_LIST` job (seed 000 task 12). Default `[5, 10, 15, 20, 25]`.
    pub failed_charges_days: Vec<u32>,
    /// Its business time (`HH:MM`); empty: off. Default `18:00`.
    pub failed_charges_at: String,
    /// Alert thresholds (seed 001 §4.2).
    pub alerts: AlertThresholds,
    /// CIDR networks from which the console at `/ops` answers (seed 001: 社内IPからのみ); empty: all.
    /// Default empty.
    pub allowed_networks: Vec<String>,
    /// How long a console session lasts, in minutes (1–1440). Default `480` (a working day).
    pub session_minutes: u64,
    /// Whether the console's session cookie is `Secure` (sent over HTTPS only). Default: in production, or
    /// when the request came through a proxy that says `X-Forwarded-Proto: https`.
    pub secure_cookies: Option<bool>,
}

impl Default for OpsSettings {
    fn default() -> Self {
        OpsSettings {
            report_recipients: Vec::new(),
            daily_report_at: "09:30".to_owned(),
            alert_check_every_secs: 900,
            failed_charges_days: vec![5, 10, 15, 20, 25],
            failed_charges_at: "18:00".to_owned(),
            alerts: AlertThresholds::default(),
            allowed_networks: Vec::new(),
            session_minutes: 480,
            secure_cookies: None,
        }
    }
}

impl OpsSettings {
    /// Checks the times and days: `HH:MM` or empty, days 1–28 (every month has them).
    pub fn check(&self) -> Result<(), String> {
        for (key, value) in [
            ("ops.daily_report_at", &self.daily_report_at),
            ("ops.failed_charges_at", &self.failed_charges_at),
        ] {
            if !value.is_empty() && chrono::NaiveTime::parse_from_str(value, "%H:%M").is_err() {
                return Err(format!("{key}: {value:?} is not a time of day as HH:MM (or empty for off)"));
            }
        }
        if let Some(day) = self.failed_charges_days.iter().find(|d| !(1..=28).contains(*d)) {
            return Err(format!("ops.failed_charges_days: {day} is not a day 1–28 that every month has"));
        }
        if !(1..=1440).contains(&self.session_minutes) {
            return Err(format!("ops.session_minutes: {} is not 1–1440 minutes", self.session_minutes));
        }
        for address in &self.report_recipients {
            if !address.contains('@') || address.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!("ops.report_recipients: {address:?} is not an e-mail address"));
            }
        }
        Ok(())
    }
}

/// When an alert is raised (R16; defaults from seed 001 §4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertThresholds {
    /// HIGH when the charge success rate is below this percentage. Default `90`.
    pub min_charge_success_pct: u32,
    /// Attempts of a day below which the success rate is not judged (one decline of two is not an
    /// outage). Default `10`.
    pub min_charge_attempts: u64,
    /// MEDIUM when the day's orders are below this percentage of the four previous same weekdays' average.
    /// Default `50`.
    pub orders_low_pct: u32,
    /// MEDIUM when above this percentage. Default `200`.
    pub orders_high_pct: u32,
    /// MEDIUM when follow-ups opened on the day exceed this percentage of the day's orders. Default `10`.
    pub max_follow_up_pct: u32,
    /// HIGH when the oldest waiting webhook delivery is older than this many minutes. Default `30`.
    pub max_webhook_age_minutes: u32,
}

impl Default for AlertThresholds {
    fn default() -> Self {
        AlertThresholds {
            min_charge_success_pct: 90,
            min_charge_attempts: 10,
            orders_low_pct: 50,
            orders_high_pct: 200,
            max_follow_up_pct: 10,
            max_webhook_age_minutes: 30,
        }
    }
}

/// Slack (R16).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackSettings {
    /// An incoming webhook URL (`https://hooks.slack.com/services/…`): the report, alerts and new URGENT or
    /// HIGH follow-ups are posted there. A secret: never logged or returned. Default none (no posts).
    pub webhook_url: Option<Secret>,
}

/// `GET /metrics` (R16).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve Prometheus metrics. Default `true`.
    pub enabled: bool,
    /// Networks (CIDR, e.g. `10.0.0.0/8`) allowed to scrape without a token; others need an admin token.
    /// Default none.
    pub allowed_networks: Vec<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings { enabled: true, allowed_networks: Vec::new() }
    }
}

/// The ERP integration (R21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErpSettings {
    /// Hours an order may stay ready for the ERP (`order.ready`) without the ERP confirming it before
    /// `ALERT_CHECK` opens an `ERP_UNCONFIRMED` follow-up; `0`: never. Default `24`.
    pub confirm_within_hours: u32,
    /// Business time (`HH:MM`) of `SEND_SHIPPING_NOTICES`, which tells each receiver what shipped to them
    /// (seed 000 task 6); empty: off. Default `17:00`.
    pub shipping_notices_at: String,
}

impl ErpSettings {
    /// Checks the notice time: `HH:MM` or empty.
    pub fn check(&self) -> Result<(), String> {
        let at = &self.shipping_notices_at;
        if !at.is_empty() && chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err() {
            return Err(format!(
                "erp.shipping_notices_at: {at:?} is not a time of day as HH:MM (or empty for off)"
            ));
        }
        Ok(())
    }
}

impl Default for ErpSettings {
    fn default() -> Self {
        ErpSettings { confirm_within_hours: 24, shipping_notices_at: "17:00".to_owned() }
    }
}
