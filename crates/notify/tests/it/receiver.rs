//! A webhook receiver on an ephemeral port that verifies every delivery's signature and answers with the
//! statuses it is told to.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) id: String,
    pub(crate) timestamp: String,
    pub(crate) signature: String,
    pub(crate) body: String,
    pub(crate) signature_valid: bool,
    pub(crate) answered: u16,
}

#[derive(Clone)]
struct Shared {
    key: Vec<u8>,
    script: Arc<Mutex<VecDeque<u16>>>,
    delay: Duration,
    log: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver.
pub(crate) struct Receiver {
    pub(crate) url: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Starts a receiver checking signatures with `secret`; it answers the statuses of `script` in turn,
    /// then 200, each after `delay`.
    pub(crate) async fn start(secret: &str, script: &[u16], delay: Duration) -> Receiver {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            key: notify::signature::key_of(secret).unwrap(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            delay,
            log: Arc::clone(&log),
        };
        let app = Router::new().route("/hook", post(receive)).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, log }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    tokio::time::sleep(shared.delay).await;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (id, timestamp, signature) =
        (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
    let signature_valid = timestamp
        .parse::<i64>()
        .is_ok_and(|ts| notify::signature::verify(&shared.key, &id, ts, &body, &signature));
    let answered = shared.script.lock().unwrap().pop_front().unwrap_or(200);
    shared.log.lock().unwrap().push(Received {
        id,
        timestamp,
        signature,
        body: String::from_utf8_lossy(&body).into_owned(),
        signature_valid,
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}
