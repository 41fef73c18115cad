//! Settings of the renewal batches (R7–R9), the payment gateway, e-mail (R12) and the in-server job
//! schedule (R13).

use super::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Renewal settings (R7–R9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenewalSettings {
    /// R8: days before the deduct date the notice e-mail goes out. Default `7`.
    pub notice_days: u32,
    /// R9: days of temporary digital access granted when a charge starts. Default `7`.
    pub temporary_days: u32,
    /// R9: automatic retries, in days after the first failure of a cycle (e.g. `[3, 5, 7]`). Default none.
    pub retry_days: Vec<u32>,
    /// R9: the card-update link of the charge-failed e-mail; `{renewalId}` is replaced.
    /// Default `https://shop.example.com/account/renewals/{renewalId}/card`.
    pub card_update_url: String,
    /// R7: how many days back the creation job looks for paid orders. Default `30`.
    pub auto_create_window_days: u32,
    /// Renewals claimed per round of the charge run. Default `200`.
    pub batch: u64,
    /// Gateway calls in flight at once, per runner. Default `32`.
    pub concurrency: usize,
    /// Batches a charge runner works on at once (some in the database while others wait for the
    /// gateway; `concurrency` bounds the gateway calls of all of them). Default `4`.
    pub batches_in_flight: usize,
    /// Seconds a claim holds a renewal; a runner that dies frees it after this. Default `300`.
    pub lease_secs: u64,
    /// Seconds before a renewal whose charge failed transiently (nothing charged) is tried again. Default `600`.
    pub transient_backoff_secs: u64,
    /// Most charge attempts of one renewal in a business day, counting the scheduled or automatic one:
    /// `retryRenewalCharge` is refused (`CONFLICT`) beyond it, so nobody can hammer the gateway (or a
    /// card) with retries. Default `4`.
    pub max_attempts_per_day: u32,
}

impl Default for RenewalSettings {
    fn default() -> Self {
        RenewalSettings {
            notice_days: 7,
            temporary_days: 7,
            retry_days: Vec::new(),
            card_update_url: "https://shop.example.com/account/renewals/{renewalId}/card".to_owned(),
            auto_create_window_days: 30,
            batch: 200,
            concurrency: 32,
            batches_in_flight: 4,
            lease_secs: 300,
            transient_backoff_secs: 600,
            max_attempts_per_day: 4,
        }
    }
}

/// Payment gateway settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewaySettings {
    /// Which gateway: `simulated` (SPEC §5: the token decides the outcome; the embedded default) or `ecpay`
    /// (綠界 站內付2.0, `[gateway.ecpay]`). Default `simulated`.
    pub kind: String,
    /// The simulated gateway's answer time in milliseconds. Default `0`.
    pub latency_ms: u64,
    /// Seconds to wait for an answer; after that the charge is UNKNOWN until reconciled. Default `30` (what
    /// ECPay recommends).
    pub timeout_secs: u64,
    /// `IMMEDIATE`: a charge is captured at once; `DELAYED`: authorised only, and `CAPTURE_PAYMENTS`
    /// captures what is left of it (or voids it, its order cancelled) at `capture_at` (R23; with ECPay the
    /// merchant's account must be set to close trades by hand, 手動關帳). Default `IMMEDIATE`.
    pub capture: String,
    /// Business time of day `CAPTURE_PAYMENTS` runs with `DELAYED` capture, `HH:MM`. Default `11:00` (seed
    /// 000 task 14).
    pub capture_at: String,
    /// Business time of day `RECONCILE_PAYMENTS` matches yesterday's settlement of a gateway that can be
    /// queried for it (the simulated one), `HH:MM`, or empty for off. Default `06:00`.
    pub reconcile_at: String,
    /// ECPay's merchant and keys (`kind = "ecpay"`).
    pub ecpay: EcpaySettings,
}

impl GatewaySettings {
    /// Whether charges are only authorised, so `CAPTURE_PAYMENTS` is scheduled.
    pub fn captures_later(&self) -> bool {
        self.capture.trim().eq_ignore_ascii_case("DELAYED")
    }

    /// Whether `RECONCILE_PAYMENTS` is scheduled: a time is set and the gateway can be asked for its
    /// settlement (the simulated one; ECPay's file goes through `platform reconcile`).
    pub fn reconciles_daily(&self) -> bool {
        !self.reconcile_at.is_empty() && self.kind == "simulated"
    }

    /// Checks the capture mode and the job times.
    pub fn check(&self) -> Result<(), String> {
        if !["IMMEDIATE", "DELAYED"].iter().any(|m| m.eq_ignore_ascii_case(self.capture.trim())) {
            return Err(format!("gateway.capture: {:?} is not IMMEDIATE or DELAYED", self.capture));
        }
        for (name, at, may_be_off) in
            [("capture_at", &self.capture_at, false), ("reconcile_at", &self.reconcile_at, true)]
        {
            if (at.is_empty() && !may_be_off)
                || (!at.is_empty() && chrono::NaiveTime::parse_from_str(at, "%H:%M").is_err())
            {
                return Err(format!("gateway.{name}: {at:?} is not a time of day as HH:MM"));
            }
        }
        Ok(())
    }
}

impl Default for GatewaySettings {
    fn default() -> Self {
        GatewaySettings {
            kind: "simulated".to_owned(),
            latency_ms: 0,
            timeout_secs: 30,
            capture: "IMMEDIATE".to_owned(),
            capture_at: "11:00".to_owned(),
            reconcile_at: "06:00".to_owned(),
            ecpay: EcpaySettings::default(),
        }
    }
}

/// ECPay (綠界) 站內付2.0: the merchant, its HashKey and HashIV (secrets), and where to call. The defaults
/// are ECPay's stage environment and its published stage merchant, never production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EcpaySettings {
    /// MerchantID (at most 10 characters). Default `3002607` (ECPay's stage merchant).
    pub merchant_id: String,
    /// HashKey (16 characters). Default ECPay's published stage key.
    pub hash_key: Secret,
    /// HashIV (16 characters). Default ECPay's published stage IV.
    pub hash_iv: Secret,
    /// The 站內付2.0 host (`/Merchant/CreatePaymentWithCardID`). Default `https://ecpg-stage.ecpay.com.tw`;
    /// production `https://ecpg.ecpay.com.tw`.
    pub ecpg_url: String,
    /// The payment host (`/1.0.0/Cashier/QueryTrade`, `/1.0.0/Credit/DoAction`). Default
    /// `https://ecpayment-stage.ecpay.com.tw`; production `https://ecpayment.ecpay.com.tw`.
    pub payment_url: String,
    /// The trade's item name shown to the card holder. Default `訂閱續訂`.
    pub item_name: String,
}

impl Default for EcpaySettings {
    fn default() -> Self {
        EcpaySettings {
            merchant_id: "3002607".to_owned(),
            hash_key: Secret::new("pwFHCqoQZGmho4w6"),
            hash_iv: Secret::new("EkRm7iFT261dpevs"),
            ecpg_url: "https://ecpg-stage.ecpay.com.tw".to_owned(),
            payment_url: "https://ecpayment-stage.ecpay.com.tw".to_owned(),
            item_name: "訂閱續訂".to_owned(),
        }
    }
}

/// E-mail settings (R12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmailSettings {
    /// `smtp://host:port`, `smtps://user:pass@host` …; without it e-mails stay QUEUED in the outbox.
    pub smtp_url: Option<Secret>,
    /// The sender. Default `Platform <no-reply@example.invalid>`.
    pub from: String,
    /// A folder of templates overriding the built-in ones (`<kind>.txt`; first line `Subject: …`).
    pub templates_dir: Option<PathBuf>,
    /// E-mails sent per dispatcher round. Default `100`.
    pub batch: u64,
    /// Waits after each failed send, in seconds; after the last the e-mail is FAILED. Default
    /// `[60, 300, 1800, 7200, 21600, 86400]`.
    pub retry_schedule_secs: Vec<u64>,
    /// Seconds for which a dispatcher holds the one e-mail it is sending (each e-mail is claimed just
    /// before it is sent); must outlast the SMTP timeout (30 s). Default `120`.
    pub lease_secs: u64,
}

impl Default for EmailSettings {
    fn default() -> Self {
        EmailSettings {
            smtp_url: None,
            from: "Platform <no-reply@example.invalid>".to_owned(),
            templates_dir: None,
            batch: 100,
            retry_schedule_secs: vec![60, 300, 1800, 7200, 21600, 86400],
            lease_secs: 120,
        }
    }
}

/// When the server runs one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSchedule {
    /// Whether the server runs it at all.
    pub enabled: bool,
    /// Seconds between runs.
    pub every_secs: u64,
}

impl JobSchedule {
    const fn every(secs: u64) -> Self {
        JobSchedule { enabled: true, every_secs: secs }
    }
}

/// The in-server schedule of each job (R13). Every job is idempotent, so running one more often only costs
/// time; each is safe on several instances at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// R7. Default every 300 s.
    pub create_renewals: JobSchedule,
    /// R8. Default every 3600 s.
    pub send_notices: JobSchedule,
    /// R9 charge run. Default every 3600 s.
    pub charge_renewals: JobSchedule,
    /// R9 automatic retries. Default every 3600 s.
    pub retry_renewals: JobSchedule,
    /// R10. Default every 3600 s.
    pub expire_entitlements: JobSchedule,
    /// R12 e-mail outbox. Default every 10 s.
    pub dispatch_emails: JobSchedule,
    /// In production, how many days after today a run's `asOf` may be without `force` (a charge run as of
    /// 9999-12-31 would charge every renewal due a year ahead; an expiry would lapse current subscribers).
    /// Default `1`.
    pub max_days_ahead: u32,
    /// How long `runJob` waits for its run to finish before answering with the run still RUNNING (it goes
    /// on in the background; poll `jobRuns`). Below the 30 s request timeout. Default `20`.
    pub wait_secs: u64,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            create_renewals: JobSchedule::every(300),
            send_notices: JobSchedule::every(3600),
            charge_renewals: JobSchedule::every(3600),
            retry_renewals: JobSchedule::every(3600),
            expire_entitlements: JobSchedule::every(3600),
            dispatch_emails: JobSchedule::every(10),
            max_days_ahead: 1,
            wait_secs: 20,
        }
    }
}
