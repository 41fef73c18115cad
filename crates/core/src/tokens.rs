//! Payment tokens at rest (R23): a card's gateway token (a BindCardID, `tok_…`) is stored as
//! `tk1:<key id>:<base64(nonce ‖ AES-256-GCM ciphertext ‖ tag)>`, the key id bound as associated data, never
//! in clear. The keys come from the settings (`payments.token_keys`, one of them `payments.active_token_key`),
//! installed once at start-up ([`install`]); outside production, without keys, a built-in development key is
//! used (production refuses to start without its own). [`Token`] is the column type: written sealed with
//! the active key, read opened with whichever key sealed it, so the domains handle the token in memory only.
//! A value without the `tk1:` prefix is a token stored before encryption: it reads as it is, and the start-up
//! pass (`platform`'s `tokens::seal_stored`) encrypts it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The prefix of a sealed token.
pub const PREFIX: &str = "tk1:";
/// The key id of the built-in development key (refused in production).
pub const DEV_KEY_ID: &str = "dev";
const DEV_KEY: [u8; 32] = *b"platform-development-token-key!!";

/// Why a token could not be sealed or opened, or the keys are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A sealed token names a key the settings do not hold.
    #[error("a payment token was sealed with key {0:?}, which payments.token_keys does not hold")]
    UnknownKey(String),
    /// The ciphertext does not open with its key (a wrong key under a known id, or damaged data).
    #[error("a payment token sealed with key {0:?} does not open with that key: wrong key or damaged data")]
    Unreadable(String),
    /// The settings' keys are unusable.
    #[error("payments.token_keys: {0}")]
    Settings(String),
}

/// The keys of a process: every key that may have sealed a stored token, and the one that seals new ones.
#[derive(Clone)]
pub struct TokenKeys {
    active: String,
    keys: HashMap<String, [u8; 32]>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        write!(f, "TokenKeys {{ active: {:?}, ids: {ids:?} }}", self.active)
    }
}

impl TokenKeys {
    /// Keys from (id, base64 of 32 bytes) pairs with `active` sealing new tokens.
    pub fn new<'a>(
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
        active: &str,
    ) -> Result<TokenKeys, TokenError> {
        let mut ring = HashMap::new();
        for (id, encoded) in keys {
            if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(TokenError::Settings(format!(
                    "key id {id:?} must be 1-32 letters, digits or '-'"
                )));
            }
            let bytes = STANDARD
                .decode(encoded.trim())
                .map_err(|_| TokenError::Settings(format!("key {id:?} is not base64")))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| TokenError::Settings(format!("key {id:?} must be 32 bytes (AES-256)")))?;
            if ring.insert(id.to_owned(), key).is_some() {
                return Err(TokenError::Settings(format!("key id {id:?} appears twice")));
            }
        }
        if !ring.contains_key(active) {
            return Err(TokenError::Settings(format!("the active key {active:?} is not among the keys")));
        }
        Ok(TokenKeys { active: active.to_owned(), keys: ring })
    }

    /// The built-in development key (never for production).
    pub fn development() -> TokenKeys {
        TokenKeys { active: DEV_KEY_ID.to_owned(), keys: HashMap::from([(DEV_KEY_ID.to_owned(), DEV_KEY)]) }
    }

    /// The id of the key that seals new tokens.
    pub fn active(&self) -> &str {
        &self.active
    }

    /// `token` sealed with the active key.
    pub fn seal(&self, token: &str) -> String {
        let key = self.keys.get(&self.active).copied().unwrap_or(DEV_KEY);
        let cipher = Aes256Gcm::new(&key.into());
        let mut nonce = [0u8; 12];
        // The OS's randomness; without it (never seen) a time-based nonce still never repeats in practice.
        if getrandom::fill(&mut nonce).is_err() {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            nonce.copy_from_slice(&now.as_nanos().to_le_bytes()[..12]);
        }
        let sealed = cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: token.as_bytes(), aad: self.active.as_bytes() })
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{}:{}", self.active, STANDARD.encode(bytes))
    }

    /// The token of `stored` (a value without the prefix is a token stored in clear, before encryption).
    pub fn open(&self, stored: &str) -> Result<String, TokenError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else { return Ok(stored.to_owned()) };
        let (id, data) = rest.split_once(':').ok_or_else(|| TokenError::Unreadable(String::new()))?;
        let key = self.keys.get(id).ok_or_else(|| TokenError::UnknownKey(id.to_owned()))?;
        let bytes = STANDARD.decode(data).map_err(|_| TokenError::Unreadable(id.to_owned()))?;
        if bytes.len() < 12 + 16 {
            return Err(TokenError::Unreadable(id.to_owned()));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| TokenError::Unreadable(id.to_owned()))?;
        let opened = Aes256Gcm::new(&(*key).into())
            .decrypt(&Nonce::from(nonce), Payload { msg: sealed, aad: id.as_bytes() })
            .map_err(|_| TokenError::Unreadable(id.to_owned()))?;
        String::from_utf8(opened).map_err(|_| TokenError::Unreadable(id.to_owned()))
    }

    /// Whether `stored` is sealed with the active key (nothing to rotate).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.active)
    }
}

static INSTALLED: RwLock<Option<Arc<TokenKeys>>> = RwLock::new(None);

/// Makes `keys` the process's keys (start-up).
pub fn install(keys: TokenKeys) {
    let mut slot = INSTALLED.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = Some(Arc::new(keys));
}

/// The process's keys: the installed ones, else the development key.
pub fn current() -> Arc<TokenKeys> {
    let slot = INSTALLED.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    slot.clone().unwrap_or_else(|| Arc::new(TokenKeys::development()))
}

/// A payment token as the domains hold it (in clear, in memory only); stored sealed. Its `Debug` shows
/// nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    /// The token itself, for the gateway call.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(****)")
    }
}

impl From<Token> for sea_orm::Value {
    fn from(token: Token) -> sea_orm::Value {
        sea_orm::Value::String(Some(current().seal(&token.0)))
    }
}

impl sea_orm::TryGetable for Token {
    fn try_get_by<I: sea_orm::ColIdx>(
        res: &sea_orm::QueryResult,
        index: I,
    ) -> Result<Self, sea_orm::TryGetError> {
        let stored = <String as sea_orm::TryGetable>::try_get_by(res, index)?;
        current()
            .open(&stored)
            .map(Token)
            .map_err(|e| sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(e.to_string())))
    }
}

impl sea_orm::sea_query::ValueType for Token {
    fn try_from(v: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
        match v {
            sea_orm::Value::String(Some(stored)) => {
                current().open(&stored).map(Token).map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }
            _ => Err(sea_orm::sea_query::ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Token".to_owned()
    }

    fn array_type() -> sea_orm::sea_query::ArrayType {
        sea_orm::sea_query::ArrayType::String
    }

    fn column_type() -> sea_orm::sea_query::ColumnType {
        sea_orm::sea_query::ColumnType::String(sea_orm::sea_query::StringLen::N(512))
    }
}

impl sea_orm::sea_query::Nullable for Token {
    fn null() -> sea_orm::Value {
        sea_orm::Value::String(None)
    }
}

/// The tables and columns that hold payment tokens, for the start-up pass and the rotation.
pub const COLUMNS: [(&str, &str); 2] = [("orders", "payment_token"), ("renewals", "payment_token")];

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(active: &str) -> TokenKeys {
        let a = STANDARD.encode([1u8; 32]);
        let b = STANDARD.encode([2u8; 32]);
        TokenKeys::new([("k1", a.as_str()), ("k2", b.as_str())], active).unwrap()
    }

    #[test]
    fn r23_a_sealed_token_opens_with_its_key_and_shows_nothing_of_it() {
        let ring = keys("k1");
        let sealed = ring.seal("card_ok_4242");
        assert!(sealed.starts_with("tk1:k1:"), "{sealed}");
        assert!(!sealed.contains("4242"));
        assert_ne!(sealed, ring.seal("card_ok_4242"), "a fresh nonce each time");
        assert_eq!(ring.open(&sealed).unwrap(), "card_ok_4242");
        assert!(ring.is_current(&sealed));
        // Rotated: the new active key seals, the old one still opens what it sealed.
        let rotated = keys("k2");
        assert!(!rotated.is_current(&sealed));
        assert_eq!(rotated.open(&sealed).unwrap(), "card_ok_4242");
        assert!(rotated.seal("x").starts_with("tk1:k2:"));
        assert_eq!(format!("{:?}", Token::new("card_ok_4242")), "Token(****)");
    }

    #[test]
    fn r23_a_wrong_key_or_a_damaged_token_fails_loudly() {
        let sealed = keys("k1").seal("card_ok_4242");
        let only_k2 = TokenKeys::new([("k2", STANDARD.encode([2u8; 32]).as_str())], "k2").unwrap();
        assert_eq!(only_k2.open(&sealed), Err(TokenError::UnknownKey("k1".into())));
        let impostor = TokenKeys::new([("k1", STANDARD.encode([9u8; 32]).as_str())], "k1").unwrap();
        assert_eq!(impostor.open(&sealed), Err(TokenError::Unreadable("k1".into())));
        let mut bytes = STANDARD.decode(sealed.trim_start_matches("tk1:k1:")).unwrap();
        bytes[20] ^= 1;
        let damaged = format!("tk1:k1:{}", STANDARD.encode(bytes));
        assert_eq!(keys("k1").open(&damaged), Err(TokenError::Unreadable("k1".into())));
        // The key id is bound: a ciphertext relabelled with another id does not open.
        let relabelled = sealed.replacen("tk1:k1:", "tk1:k2:", 1);
        assert!(keys("k1").open(&relabelled).is_err());
        assert_eq!(
            keys("k1").open("tok_legacy_clear").unwrap(),
            "tok_legacy_clear",
            "stored before encryption"
        );
    }

    #[test]
    fn r23_bad_key_settings_are_refused() {
        let good = STANDARD.encode([1u8; 32]);
        assert!(TokenKeys::new([("k1", "not base64!")], "k1").is_err());
        assert!(TokenKeys::new([("k1", STANDARD.encode([1u8; 16]).as_str())], "k1").is_err(), "AES-256 only");
        assert!(TokenKeys::new([("k1", good.as_str())], "k9").is_err(), "the active key must be there");
        assert!(TokenKeys::new([("k1", good.as_str()), ("k1", good.as_str())], "k1").is_err());
        assert!(TokenKeys::new([("bad id", good.as_str())], "bad id").is_err());
    }
}
