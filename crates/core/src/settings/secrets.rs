//! Secret settings: the [`Secret`] wrapper that never shows in `Debug`, and the payment-token keys (R23).

use serde::{Deserialize, Serialize};

/// Payment tokens at rest (R23): the AES-256-GCM keys that seal them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentSettings {
    /// Every key that may have sealed a stored token: `{ id, key }`, the key 32 bytes in base64
    /// (`openssl rand -base64 32`). Keep an old key until `platform rotate-token-key` has re-sealed its
    /// tokens. Empty (the default): the built-in development key, refused in production.
    pub token_keys: Vec<TokenKeySetting>,
    /// The id of the key that seals new tokens; required with `token_keys`.
    pub active_token_key: Option<String>,
}

/// One token key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenKeySetting {
    /// Its id, written beside each token it seals.
    pub id: String,
    /// 32 bytes, base64.
    pub key: Secret,
}

impl PaymentSettings {
    /// The keys of these settings; `production` refuses to run without its own.
    pub fn token_keys(
        &self,
        production: bool,
    ) -> Result<crate::tokens::TokenKeys, crate::tokens::TokenError> {
        use crate::tokens::{TokenError, TokenKeys};
        if self.token_keys.is_empty() {
            if production {
                return Err(TokenError::Settings(
                    "production needs its own keys (payments.token_keys and payments.active_token_key); the \
                     built-in development key is refused"
                        .into(),
                ));
            }
            return Ok(TokenKeys::development());
        }
        let active = self.active_token_key.as_deref().ok_or_else(|| {
            TokenError::Settings("payments.active_token_key is required with token_keys".into())
        })?;
        if production && active == crate::tokens::DEV_KEY_ID {
            return Err(TokenError::Settings("production refuses the key id \"dev\"".into()));
        }
        TokenKeys::new(self.token_keys.iter().map(|k| (k.id.as_str(), k.key.expose())), active)
    }
}

/// A secret setting: never shown by `Debug`, so it cannot reach a log line by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}
