//! The HTTP side of the adapter: ECPay's envelope, its answers, and what each means for a charge.

use super::codes::{Answer, classify};
use super::crypto::Keys;
use super::{merchant_trade_no, split_transaction_id, transaction_id};
use crate::{
    CaptureMode, CaptureOutcome, CaptureRequest, ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway,
    RefundOutcome, RefundRequest,
};
use chrono::Utc;
use platform_core::Money;
use platform_core::settings::EcpaySettings;
use serde_json::{Value, json};
use std::time::Duration;

/// The time zone of ECPay's `MerchantTradeDate`: Taipei, UTC+8.
const TAIPEI_HOURS: i64 = 8;

/// ECPay 站內付2.0 as a [`PaymentGateway`].
#[derive(Debug, Clone)]
pub struct EcpayGateway {
    merchant_id: String,
    keys: Keys,
    ecpg_url: String,
    payment_url: String,
    item_name: String,
    http: reqwest::Client,
    capture: CaptureMode,
}

impl EcpayGateway {
    /// The adapter for `settings`, each call answering within `timeout` (ECPay recommends 30 s). `Err`
    /// says what is wrong with the settings.
    pub fn new(settings: &EcpaySettings, timeout: Duration) -> Result<EcpayGateway, String> {
        let merchant_id = settings.merchant_id.trim().to_owned();
        if merchant_id.is_empty()
            || merchant_id.len() > 10
            || !merchant_id.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err("gateway.ecpay.merchant_id must be 1-10 letters or digits".into());
        }
        let keys = Keys::new(settings.hash_key.expose(), settings.hash_iv.expose())
            .map_err(|_| "gateway.ecpay.hash_key and hash_iv must be 16 characters each".to_owned())?;
        for (name, url) in [("ecpg_url", &settings.ecpg_url), ("payment_url", &settings.payment_url)] {
            let parsed = url::Url::parse(url).map_err(|e| format!("gateway.ecpay.{name}: {e}"))?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(format!("gateway.ecpay.{name} must be an https URL"));
            }
        }
        // Every TLS user of the process shares the ring provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| format!("the ECPay HTTP client: {e}"))?;
        Ok(EcpayGateway {
            merchant_id,
            keys,
            ecpg_url: settings.ecpg_url.trim_end_matches('/').to_owned(),
            payment_url: settings.payment_url.trim_end_matches('/').to_owned(),
            item_name: settings.item_name.clone(),
            http,
            capture: CaptureMode::Immediate,
        })
    }

    /// The same adapter, capturing as `mode` says: with `Delayed` the merchant's ECPay account closes
    /// trades by hand (手動關帳) and `capture` closes them (`DoAction` `C`).
    pub fn with_capture(self, mode: CaptureMode) -> Self {
        EcpayGateway { capture: mode, ..self }
    }

    /// `DoAction` `action` (`C` close, `N` give up, `R` refund) of `amount` on our transaction
    /// `transaction_id`: ECPay's answer, or `None` for an id that is not ECPay's.
    async fn do_action(
        &self,
        transaction_id: &str,
        action: &str,
        amount: Money,
    ) -> Result<Option<Value>, GatewayError> {
        let Some((trade_no, ecpay_no)) = split_transaction_id(transaction_id) else {
            return Ok(None);
        };
        let data = json!({
            "MerchantID": self.merchant_id,
            "MerchantTradeNo": trade_no,
            "TradeNo": ecpay_no,
            "Action": action,
            "TotalAmount": amount.amount(),
        });
        Ok(Some(self.call(format!("{}/1.0.0/Credit/DoAction", self.payment_url), data).await?))
    }

    /// A close (`C`) or give-up (`N`) of an authorised trade.
    async fn authorisation(
        &self,
        request: &CaptureRequest,
        action: &str,
    ) -> Result<CaptureOutcome, GatewayError> {
        let Some(answer) = self.do_action(&request.transaction_id, action, request.amount).await? else {
            return Ok(CaptureOutcome::Refused { reason: "not an ECPay transaction".into() });
        };
        match classify(rtn_code(&answer), &rtn_msg(&answer)) {
            Answer::Done => Ok(CaptureOutcome::Done),
            Answer::Transient(reason) => Err(GatewayError::Transient(reason)),
            Answer::Duplicate | Answer::Declined(_) => Ok(CaptureOutcome::Refused {
                reason: format!("ecpay {}: {}", rtn_code(&answer), rtn_msg(&answer)),
            }),
        }
    }

    /// Sends `data` to `url` in ECPay's envelope and returns the decrypted `Data` of the answer.
    async fn call(&self, url: String, data: Value) -> Result<Value, GatewayError> {
        let body = json!({
            "MerchantID": self.merchant_id,
            "RqHeader": { "Timestamp": Utc::now().timestamp() },
            "Data": self.keys.encrypt(&data.to_string()),
        });
        let response = self.http.post(&url).json(&body).send().await.map_err(|e| {
            if e.is_connect() {
                // Nothing reached ECPay.
                GatewayError::Transient("ECPay cannot be reached".into())
            } else {
                // It may have: the answer is what is missing.
                GatewayError::Timeout
            }
        })?;
        let status = response.status();
        if status.is_client_error() {
            return Err(GatewayError::Transient(format!("ECPay answered HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            return Err(GatewayError::Timeout);
        }
        let envelope: Value = response.json().await.map_err(|_| GatewayError::Timeout)?;
        if envelope.get("TransCode").and_then(Value::as_i64) != Some(1) {
            let message = envelope.get("TransMsg").and_then(Value::as_str).unwrap_or("").chars().take(200);
            return Err(GatewayError::Transient(format!(
                "ECPay refused the request: {}",
                message.collect::<String>()
            )));
        }
        let sealed = envelope.get("Data").and_then(Value::as_str).ok_or(GatewayError::Timeout)?;
        let opened = self.keys.decrypt(sealed).map_err(|_| GatewayError::Timeout)?;
        serde_json::from_str(&opened).map_err(|_| GatewayError::Timeout)
    }

    /// What trade `trade_no` became: `Some` paid (approved) or `None` unknown to ECPay; `Err` not decided yet.
    async fn query(&self, trade_no: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        let data = json!({ "MerchantID": self.merchant_id, "MerchantTradeNo": trade_no });
        let answer = self.call(format!("{}/1.0.0/Cashier/QueryTrade", self.payment_url), data).await?;
        if rtn_code(&answer) != 1 {
            return Ok(None);
        }
        let info = answer.get("OrderInfo").cloned().unwrap_or(Value::Null);
        let paid = match info.get("TradeStatus") {
            Some(Value::String(s)) => s == "1",
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        };
        if !paid {
            return Err(GatewayError::Transient(format!("ECPay trade {trade_no} is not paid yet")));
        }
        let ecpay_no = info.get("TradeNo").and_then(Value::as_str).unwrap_or_default();
        Ok(Some(ChargeOutcome::Approved { transaction_id: transaction_id(trade_no, ecpay_no) }))
    }
}

fn rtn_code(answer: &Value) -> i64 {
    match answer.get("RtnCode") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

fn rtn_msg(answer: &Value) -> String {
    answer.get("RtnMsg").and_then(Value::as_str).unwrap_or("").chars().take(200).collect()
}

impl PaymentGateway for EcpayGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        let trade_no = merchant_trade_no(&request.idempotency_key);
        // Taipei's wall time (UTC+8, no daylight saving).
        let taipei = Utc::now() + chrono::Duration::hours(TAIPEI_HOURS);
        let data = json!({
            "PlatformID": "",
            "MerchantID": self.merchant_id,
            "BindCardID": request.payment_token,
            "OrderInfo": {
                "MerchantTradeDate": taipei.format("%Y/%m/%d %H:%M:%S").to_string(),
                "MerchantTradeNo": trade_no,
                "TotalAmount": request.amount.amount(),
                "TradeDesc": self.item_name,
                "ItemName": self.item_name,
            },
        });
        let answer = self.call(format!("{}/Merchant/CreatePaymentWithCardID", self.ecpg_url), data).await?;
        match classify(rtn_code(&answer), &rtn_msg(&answer)) {
            Answer::Done => {
                let ecpay_no = answer
                    .pointer("/OrderInfo/TradeNo")
                    .and_then(Value::as_str)
                    .ok_or(GatewayError::Timeout)?;
                Ok(ChargeOutcome::Approved { transaction_id: transaction_id(&trade_no, ecpay_no) })
            }
            // This charge's trade exists already (an earlier attempt whose answer was lost): what it became.
            Answer::Duplicate => self.query(&trade_no).await?.ok_or(GatewayError::Timeout),
            Answer::Transient(reason) => Err(GatewayError::Transient(reason)),
            Answer::Declined(reason) => Ok(ChargeOutcome::Declined { reason }),
        }
    }

    async fn lookup(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        self.query(&merchant_trade_no(idempotency_key)).await
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, GatewayError> {
        let Some(answer) = self.do_action(&request.transaction_id, "R", request.amount).await? else {
            return Ok(RefundOutcome::Declined { reason: "not an ECPay transaction".into() });
        };
        let ecpay_no = split_transaction_id(&request.transaction_id).map(|(_, no)| no).unwrap_or_default();
        match classify(rtn_code(&answer), &rtn_msg(&answer)) {
            Answer::Done => Ok(RefundOutcome::Refunded {
                refund_id: format!("{ecpay_no}:R:{}", merchant_trade_no(&request.idempotency_key)),
            }),
            Answer::Transient(reason) => Err(GatewayError::Transient(reason)),
            Answer::Duplicate | Answer::Declined(_) => Ok(RefundOutcome::Declined {
                reason: format!("ecpay {}: {}", rtn_code(&answer), rtn_msg(&answer)),
            }),
        }
    }

    fn capture_mode(&self) -> CaptureMode {
        self.capture
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<CaptureOutcome, GatewayError> {
        self.authorisation(request, "C").await
    }

    async fn void(&self, request: &CaptureRequest) -> Result<CaptureOutcome, GatewayError> {
        self.authorisation(request, "N").await
    }

    /// ECPay keeps no refund under our key: a refund whose answer was lost is settled by reconciliation
    /// (its settlement file), never asked again (which could refund twice).
    async fn lookup_refund(&self, _idempotency_key: &str) -> Result<Option<RefundOutcome>, GatewayError> {
        Err(GatewayError::Transient("ECPay refunds are settled by reconciliation, not looked up".into()))
    }
}
