//! A local stand-in for ECPay's stage environment (R23 tests and benchmarks; nothing here talks to ECPay):
//! the 站內付2.0 endpoints as ECPay documents them — `POST /Merchant/CreatePaymentWithCardID`,
//! `/1.0.0/Cashier/QueryTrade`, `/1.0.0/Credit/DoAction` — each reading ECPay's envelope, refusing a
//! timestamp more than ten minutes off or a `Data` that the merchant's HashKey/HashIV do not open, and
//! answering encrypted with them. A `MerchantTradeNo` it has seen is refused (10200047, 訂單編號重覆), as
//! ECPay does. The card (`BindCardID`) decides the bank's answer: `card_ok…` approves, `card_decline…`
//! declines (10100248 拒絕交易), `card_busy…` is ECPay's temporary trouble (10100058, nothing recorded),
//! `card_slow…` approves but answers only after `slow` (a lost answer for a client with a shorter timeout).
//! A trade is closed (captured) at once unless the merchant closes by hand ([`EcpayStage::set_manual_close`]);
//! `DoAction` closes (`C`), gives up (`N`) and refunds (`R`) as [`act`] says.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use payments::ecpay::Keys;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// ECPay's published stage merchant and keys (站內付2.0).
pub const STAGE_MERCHANT: &str = "3002607";
/// Its HashKey.
pub const STAGE_HASH_KEY: &str = "pwFHCqoQZGmho4w6";
/// Its HashIV.
pub const STAGE_HASH_IV: &str = "EkRm7iFT261dpevs";

/// One trade as the stage server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    /// ECPay's trade number.
    pub trade_no: String,
    /// The amount authorised.
    pub amount: i64,
    /// The card charged.
    pub bind_card_id: String,
    /// What was refunded of it.
    pub refunded: i64,
    /// What was closed (captured) of it: the whole amount at once unless the merchant closes by hand.
    pub closed: Option<i64>,
    /// Given up (`DoAction` `N`) before it was closed.
    pub voided: bool,
}

/// What the server saw and holds.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Trades by `MerchantTradeNo`.
    pub trades: HashMap<String, Trade>,
    /// `CreatePaymentWithCardID` requests by `MerchantTradeNo` (refused ones included).
    pub attempts: HashMap<String, u32>,
    /// Requests refused for their envelope (timestamp, keys).
    pub refused_envelopes: u32,
}

struct Stage {
    keys: Keys,
    merchant_id: String,
    latency: Duration,
    slow: Duration,
    ledger: Mutex<Ledger>,
    next: Mutex<u64>,
    manual_close: std::sync::atomic::AtomicBool,
}

/// A running stage server.
#[derive(Clone)]
pub struct EcpayStage {
    /// Where it listens (`http://…`).
    pub url: String,
    stage: Arc<Stage>,
}

impl EcpayStage {
    /// Starts a server on an ephemeral loopback port, answering after `latency`, `card_slow…` after `slow`.
    pub async fn start(latency: Duration, slow: Duration) -> std::io::Result<EcpayStage> {
        Self::listen("127.0.0.1:0".parse().map_err(std::io::Error::other)?, latency, slow).await
    }

    /// Starts a server on `addr`.
    pub async fn listen(addr: SocketAddr, latency: Duration, slow: Duration) -> std::io::Result<EcpayStage> {
        let keys = Keys::new(STAGE_HASH_KEY, STAGE_HASH_IV).map_err(std::io::Error::other)?;
        let stage = Arc::new(Stage {
            keys,
            merchant_id: STAGE_MERCHANT.to_owned(),
            latency,
            slow,
            ledger: Mutex::new(Ledger::default()),
            next: Mutex::new(2_512_040_000_000_000),
            manual_close: std::sync::atomic::AtomicBool::new(false),
        });
        let app = Router::new()
            .route("/Merchant/CreatePaymentWithCardID", post(create_payment))
            .route("/1.0.0/Cashier/QueryTrade", post(query_trade))
            .route("/1.0.0/Credit/DoAction", post(do_action))
            .with_state(stage.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(EcpayStage { url, stage })
    }

    /// Sets the merchant's account to close trades by hand (手動關帳: a trade stays authorised until
    /// `DoAction` `C`) or at once (the default).
    pub fn set_manual_close(&self, manual: bool) {
        self.stage.manual_close.store(manual, std::sync::atomic::Ordering::SeqCst);
    }

    /// Reads the ledger.
    pub fn with_ledger<T>(&self, read: impl FnOnce(&Ledger) -> T) -> T {
        let ledger = self.stage.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        read(&ledger)
    }
}

/// The `Data` of an envelope that passes ECPay's checks, or the refusal to answer.
fn open(stage: &Stage, envelope: &Value) -> Result<Value, Json<Value>> {
    let refuse = |message: &str| {
        let mut ledger = stage.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        ledger.refused_envelopes += 1;
        Json(json!({ "MerchantID": stage.merchant_id, "RpHeader": { "Timestamp": now() },
                     "TransCode": 999, "TransMsg": message, "Data": "" }))
    };
    if envelope.get("MerchantID").and_then(Value::as_str) != Some(stage.merchant_id.as_str()) {
        return Err(refuse("MerchantID error"));
    }
    let stamp = envelope.pointer("/RqHeader/Timestamp").and_then(Value::as_i64).unwrap_or(0);
    if (now() - stamp).abs() > 600 {
        return Err(refuse("Timestamp is out of the 10 minute window"));
    }
    let sealed = envelope.get("Data").and_then(Value::as_str).unwrap_or("");
    let opened = stage.keys.decrypt(sealed).map_err(|_| refuse("Data cannot be decrypted"))?;
    serde_json::from_str(&opened).map_err(|_| refuse("Data is not JSON"))
}

fn answer(stage: &Stage, data: Value) -> Json<Value> {
    Json(json!({ "MerchantID": stage.merchant_id, "RpHeader": { "Timestamp": now() }, "TransCode": 1,
                 "TransMsg": "Success", "Data": stage.keys.encrypt(&data.to_string()) }))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn create_payment(State(stage): State<Arc<Stage>>, Json(envelope): Json<Value>) -> Json<Value> {
    tokio::time::sleep(stage.latency).await;
    let data = match open(&stage, &envelope) {
        Ok(data) => data,
        Err(refusal) => return refusal,
    };
    let trade_no =
        data.pointer("/OrderInfo/MerchantTradeNo").and_then(Value::as_str).unwrap_or("").to_owned();
    let amount = data.pointer("/OrderInfo/TotalAmount").and_then(Value::as_i64).unwrap_or(0);
    let card = data.get("BindCardID").and_then(Value::as_str).unwrap_or("").to_owned();
    let valid =
        !trade_no.is_empty() && trade_no.len() <= 20 && trade_no.chars().all(|c| c.is_ascii_alphanumeric());
    let reply = |code: i64, message: &str, order: Value| json!({ "RtnCode": code, "RtnMsg": message, "MerchantID": stage.merchant_id, "OrderInfo": order });
    let (reply, slow) = {
        let mut ledger = stage.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *ledger.attempts.entry(trade_no.clone()).or_insert(0) += 1;
        if !valid || amount < 1 {
            (reply(10_200_000, "參數錯誤", Value::Null), false)
        } else if ledger.trades.contains_key(&trade_no) {
            (reply(10_200_047, "訂單編號重覆", Value::Null), false)
        } else if card.starts_with("card_decline") {
            (reply(10_100_248, "拒絕交易", Value::Null), false)
        } else if card.starts_with("card_busy") {
            (reply(10_100_058, "系統忙碌", Value::Null), false)
        } else if card.starts_with("card_ok") || card.starts_with("card_slow") {
            let mut next = stage.next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            *next += 1;
            let ecpay_no = next.to_string();
            let closed = (!stage.manual_close.load(std::sync::atomic::Ordering::SeqCst)).then_some(amount);
            let trade = Trade {
                trade_no: ecpay_no.clone(),
                amount,
                bind_card_id: card.clone(),
                refunded: 0,
                closed,
                voided: false,
            };
            ledger.trades.insert(trade_no.clone(), trade);
            let order = json!({ "MerchantTradeNo": trade_no, "TradeNo": ecpay_no, "TradeAmt": amount,
                                "PaymentType": "Credit", "TradeStatus": "1" });
            (reply(1, "Success", order), card.starts_with("card_slow"))
        } else {
            (reply(10_100_112, "查無綁定卡片", Value::Null), false)
        }
    };
    if slow {
        tokio::time::sleep(stage.slow).await;
    }
    answer(&stage, reply)
}

async fn query_trade(State(stage): State<Arc<Stage>>, Json(envelope): Json<Value>) -> Json<Value> {
    tokio::time::sleep(stage.latency).await;
    let data = match open(&stage, &envelope) {
        Ok(data) => data,
        Err(refusal) => return refusal,
    };
    let trade_no = data.get("MerchantTradeNo").and_then(Value::as_str).unwrap_or("");
    let found =
        stage.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner).trades.get(trade_no).cloned();
    let reply = match found {
        Some(trade) => json!({ "RtnCode": 1, "RtnMsg": "Success", "MerchantID": stage.merchant_id,
                               "OrderInfo": { "MerchantTradeNo": trade_no, "TradeNo": trade.trade_no,
                                              "TradeAmt": trade.amount, "TradeStatus": "1" } }),
        None => json!({ "RtnCode": 10_200_043, "RtnMsg": "查無此交易", "MerchantID": stage.merchant_id }),
    };
    answer(&stage, reply)
}

async fn do_action(State(stage): State<Arc<Stage>>, Json(envelope): Json<Value>) -> Json<Value> {
    tokio::time::sleep(stage.latency).await;
    let data = match open(&stage, &envelope) {
        Ok(data) => data,
        Err(refusal) => return refusal,
    };
    let trade_no = data.get("MerchantTradeNo").and_then(Value::as_str).unwrap_or("");
    let ecpay_no = data.get("TradeNo").and_then(Value::as_str).unwrap_or("");
    let amount = data.get("TotalAmount").and_then(Value::as_i64).unwrap_or(0);
    let action = data.get("Action").and_then(Value::as_str).unwrap_or("");
    let mut ledger = stage.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let reply = match ledger.trades.get_mut(trade_no) {
        None => json!({ "RtnCode": 10_200_043, "RtnMsg": "查無此交易" }),
        Some(trade) if trade.trade_no != ecpay_no => {
            json!({ "RtnCode": 10_200_043, "RtnMsg": "交易編號不符" })
        }
        Some(trade) => match act(trade, action, amount) {
            Ok(()) => json!({ "RtnCode": 1, "RtnMsg": "Success", "MerchantID": stage.merchant_id,
                              "MerchantTradeNo": trade_no, "TradeNo": ecpay_no }),
            Err((code, message)) => json!({ "RtnCode": code, "RtnMsg": message }),
        },
    };
    drop(ledger);
    answer(&stage, reply)
}

/// `DoAction` `action` of `amount` on `trade`: `C` closes (captures) up to the authorised amount (again: done),
/// `N` gives up an authorisation not closed (again: done), `R` refunds up to what was closed.
fn act(trade: &mut Trade, action: &str, amount: i64) -> Result<(), (i64, &'static str)> {
    match action {
        "C" if trade.voided => Err((10_100_262, "交易已放棄")),
        "C" if trade.closed.is_some() => Ok(()),
        "C" if amount >= 1 && amount <= trade.amount => {
            trade.closed = Some(amount);
            Ok(())
        }
        "C" => Err((10_100_253, "關帳金額超過授權金額")),
        "N" if trade.voided => Ok(()),
        "N" if trade.closed.is_some() => Err((10_100_263, "交易已關帳，請改用退刷")),
        "N" => {
            trade.voided = true;
            Ok(())
        }
        "R" => match trade.closed {
            None => Err((10_100_264, "交易未關帳")),
            Some(closed) if amount >= 1 && trade.refunded + amount <= closed => {
                trade.refunded += amount;
                Ok(())
            }
            Some(_) => Err((10_100_253, "退款金額超過可退金額")),
        },
        _ => Err((10_200_000, "不支援的動作")),
    }
}
