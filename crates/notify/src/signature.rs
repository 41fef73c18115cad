//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): secrets `whsec_<base64>`, the signed
//! content `{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256, and `webhook-signature: v1,<base64>`
//! with one space-separated signature per active secret (several during a rotation).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a webhook secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Secret bytes generated for a new endpoint.
const SECRET_BYTES: usize = 24;

/// A webhook signing secret that is not `whsec_` + base64 of 24 to 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret: must be whsec_ followed by the base64 of 24 to 64 random bytes")]
pub struct BadSecret;

/// The key bytes of a `whsec_…` secret.
pub fn key_of(secret: &str) -> Result<Vec<u8>, BadSecret> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(BadSecret)?;
    let key = STANDARD.decode(encoded).map_err(|_| BadSecret)?;
    if (SECRET_BYTES..=64).contains(&key.len()) { Ok(key) } else { Err(BadSecret) }
}

/// A fresh random secret.
pub fn generate_secret() -> anyhow::Result<String> {
    let mut key = [0u8; SECRET_BYTES];
    getrandom::fill(&mut key).map_err(|e| anyhow::anyhow!("no randomness for a webhook secret: {e}"))?;
    Ok(format!("{SECRET_PREFIX}{}", STANDARD.encode(key)))
}

/// The base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under `key`.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The `webhook-signature` header: `v1,<sig>` per key, space-separated.
pub fn header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter().map(|key| format!("v1,{}", sign(key, id, timestamp, body))).collect::<Vec<_>>().join(" ")
}

/// Whether `header` carries a valid signature of the content under `key` (for receivers and tests).
pub fn verify(key: &[u8], id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let expected = sign(key, id, timestamp, body);
    header
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|candidate| constant_time_eq(candidate, &expected))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (its test vector).
    #[test]
    fn signs_the_specification_example() {
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let signature = sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(signature, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let header = header(&[key.clone(), vec![7; 32]], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert!(verify(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, &header));
        assert!(!verify(&key, "msg_other", 1614265330, body, &header));
    }

    #[test]
    fn secrets_are_whsec_base64() {
        let secret = generate_secret().unwrap();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(key_of(&secret).unwrap().len(), 24);
        assert_eq!(key_of("whsec_short"), Err(BadSecret));
        assert_eq!(key_of("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(BadSecret));
    }
}
