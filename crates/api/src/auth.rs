//! Bearer tokens (SPEC §3): verifying them into a [`Principal`] and minting them for operators.
//!
//! Tokens are JWTs signed with the one configured algorithm (HS256 with a shared secret, or RS256/EdDSA
//! with a key pair). A token must carry `exp`, `nbf`, `iss`, `aud` and `sub`, plus `role` (`admin`,
//! `service` or `member`); for a member, `sub` is its account. The algorithm is pinned, so `alg: none`
//! and HS/RS confusion are refused; clock skew up to `leeway_secs` (≤ 30 s) is tolerated.

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use members::{Account, Principal, Role};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;
use platform_core::settings::{AuthSettings, TokenAlgorithm};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Largest clock skew that may be configured.
pub const MAX_LEEWAY_SECS: u64 = 30;
/// Shortest HS256 secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

/// The keys tokens are checked (and possibly minted) with.
pub enum Keys {
    /// HS256: one shared secret.
    Secret(Vec<u8>),
    /// RS256 or EdDSA: the PEM public key, and the PEM private key where tokens are minted.
    Pem {
        /// Verifies.
        public: Vec<u8>,
        /// Signs, when present.
        private: Option<Vec<u8>>,
    },
}

/// The claims the platform writes and reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the member account, or the operator or service name.
    pub sub: String,
    /// `admin`, `service` or `member`.
    pub role: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Not before.
    pub nbf: i64,
    /// Issued at.
    pub iat: i64,
}

/// The claims read back from a verified token (the rest is checked by the validation).
#[derive(Deserialize)]
struct VerifiedClaims {
    sub: Option<String>,
    role: Option<String>,
    /// RFC 7519 allows only a string; the validation alone would also take an array. (Missing claims
    /// are the validation's to report, so these default.)
    #[serde(default)]
    iss: serde_json::Value,
    #[serde(default)]
    exp: i64,
    #[serde(default)]
    nbf: i64,
}

/// A configuration that cannot verify tokens.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// A setting is out of range or missing.
    #[error("auth.{field}: {message}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// Minting needs a private key this instance does not have.
    #[error("cannot mint tokens: {0}")]
    CannotMint(String),
}

/// A token that does not authenticate its bearer. The message says why, never what the key is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

impl HasErrorCode for TokenError {
    fn code(&self) -> ErrorCode {
        ErrorCode::Unauthenticated
    }
}

/// Verifies tokens and mints them.
#[derive(Clone)]
pub struct Authenticator {
    max_ttl_secs: i64,
    algorithm: Algorithm,
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator for `settings` with `keys`.
    pub fn new(settings: &AuthSettings, keys: Keys) -> Result<Self, AuthConfigError> {
        if settings.leeway_secs > MAX_LEEWAY_SECS {
            return Err(AuthConfigError::Invalid {
                field: "leeway_secs",
                message: format!("{} is more than the {MAX_LEEWAY_SECS} s allowed", settings.leeway_secs),
            });
        }
        for (field, value) in [("issuer", &settings.issuer), ("audience", &settings.audience)] {
            if value.trim().is_empty() {
                return Err(AuthConfigError::Invalid { field, message: "must not be empty".to_owned() });
            }
        }
        let invalid_key = |field: &'static str, e: jsonwebtoken::errors::Error| AuthConfigError::Invalid {
            field,
            message: format!("not a usable key: {e}"),
        };
        let (algorithm, decoding, encoding) = match (settings.algorithm, keys) {
            (TokenAlgorithm::HS256, Keys::Secret(secret)) => {
                if secret.len() < MIN_SECRET_BYTES {
                    return Err(AuthConfigError::Invalid {
                        field: "secret",
                        message: format!("must be at least {MIN_SECRET_BYTES} bytes"),
                    });
                }
                (Algorithm::HS256, DecodingKey::from_secret(&secret), Some(EncodingKey::from_secret(&secret)))
            }
            (TokenAlgorithm::RS256, Keys::Pem { public, private }) => (
                Algorithm::RS256,
                DecodingKey::from_rsa_pem(&public).map_err(|e| invalid_key("public_key_file", e))?,
                private
                    .map(|p| EncodingKey::from_rsa_pem(&p).map_err(|e| invalid_key("private_key_file", e)))
                    .transpose()?,
            ),
            (TokenAlgorithm::EdDSA, Keys::Pem { public, private }) => (
                Algorithm::EdDSA,
                DecodingKey::from_ed_pem(&public).map_err(|e| invalid_key("public_key_file", e))?,
                private
                    .map(|p| EncodingKey::from_ed_pem(&p).map_err(|e| invalid_key("private_key_file", e)))
                    .transpose()?,
            ),
            (TokenAlgorithm::HS256, Keys::Pem { .. }) => {
                return Err(AuthConfigError::Invalid {
                    field: "algorithm",
                    message: "HS256 takes a secret, not a key file".to_owned(),
                });
            }
            (_, Keys::Secret(_)) => {
                return Err(AuthConfigError::Invalid {
                    field: "public_key_file",
                    message: format!("{:?} needs a PEM public key", settings.algorithm),
                });
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = settings.leeway_secs;
        if settings.max_token_ttl_secs == 0 {
            return Err(AuthConfigError::Invalid {
                field: "max_token_ttl_secs",
                message: "must be at least 1".to_owned(),
            });
        }
        Ok(Authenticator {
            max_ttl_secs: i64::try_from(settings.max_token_ttl_secs).unwrap_or(i64::MAX),
            algorithm,
            decoding,
            encoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// The caller of a request from its `Authorization` header: anonymous without one.
    pub fn principal(&self, authorization: Option<&str>) -> Result<Principal, TokenError> {
        let Some(header) = authorization else {
            return Ok(Principal::Anonymous);
        };
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| TokenError("the Authorization header must be `Bearer <token>`".to_owned()))?;
        self.verify(token)
    }

    /// Verifies one token.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_at(token, chrono::Utc::now())
    }

    /// Verifies one token as of `now` (the signature, the algorithm and `exp`/`nbf` are checked by the
    /// library against the system clock; `now` bounds the lifetime).
    fn verify_at(&self, token: &str, now: DateTime<Utc>) -> Result<Principal, TokenError> {
        let data = jsonwebtoken::decode::<VerifiedClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| TokenError(describe(e.kind()).to_owned()))?;
        // RFC 7515 §4.1.11: a recipient must refuse a token whose `crit` names extensions it does not
        // understand; this one understands none.
        if data.header.crit.is_some() {
            return Err(TokenError(
                "token header names critical extensions (crit), which are not supported".into(),
            ));
        }
        let claims = data.claims;
        if !claims.iss.is_string() {
            return Err(TokenError("token issuer must be a string".to_owned()));
        }
        // RFC 8725 §3.10 asks for bounded lifetimes: a token that lives longer than the configured maximum
        // (from nbf, or from now) is refused whoever signed it.
        if claims.exp.saturating_sub(claims.nbf) > self.max_ttl_secs
            || claims.exp.saturating_sub(now.timestamp()) > self.max_ttl_secs
        {
            return Err(TokenError(format!(
                "token lifetime exceeds auth.max_token_ttl_secs ({} s)",
                self.max_ttl_secs
            )));
        }
        let role = claims
            .role
            .as_deref()
            .and_then(Role::parse)
            .ok_or_else(|| TokenError("token role must be admin, service or member".to_owned()))?;
        let subject = claims.sub.as_deref().map(str::trim).unwrap_or_default();
        if subject.is_empty() {
            return Err(TokenError("token lacks the sub claim".to_owned()));
        }
        Ok(match role {
            Role::Admin => Principal::Admin { subject: subject.to_owned() },
            Role::Service => Principal::Service { subject: subject.to_owned() },
            Role::Member => Principal::Member {
                account: Account::parse(subject)
                    .map_err(|_| TokenError("token subject is not a member account".to_owned()))?,
            },
        })
    }

    /// A token for `role` and `subject`, valid from `now` for `ttl`.
    pub fn mint(
        &self,
        role: Role,
        subject: &str,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, AuthConfigError> {
        let Some(key) = &self.encoding else {
            return Err(AuthConfigError::CannotMint(
                "no private key configured (auth.private_key_file)".to_owned(),
            ));
        };
        if subject.trim().is_empty() {
            return Err(AuthConfigError::CannotMint("the subject must not be empty".to_owned()));
        }
        let subject = match role {
            Role::Member => Account::parse(subject)
                .map_err(|e| AuthConfigError::CannotMint(format!("member subject: {e}")))?
                .to_string(),
            _ => subject.trim().to_owned(),
        };
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        if ttl > self.max_ttl_secs {
            return Err(AuthConfigError::CannotMint(format!(
                "a token may live at most {} s (auth.max_token_ttl_secs)",
                self.max_ttl_secs
            )));
        }
        let claims = Claims {
            sub: subject,
            role: role.as_str().to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now.timestamp().saturating_add(ttl),
            nbf: now.timestamp(),
            iat: now.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, key)
            .map_err(|e| AuthConfigError::CannotMint(e.to_string()))
    }
}

fn describe(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not valid yet (nbf)",
        ErrorKind::InvalidAudience => "token audience is not accepted",
        ErrorKind::InvalidIssuer => "token issuer is not accepted",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "token lacks the exp claim",
            "nbf" => "token lacks the nbf claim",
            "iss" => "token lacks the iss claim",
            "aud" => "token lacks the aud claim",
            "sub" => "token lacks the sub claim",
            _ => "token lacks a required claim",
        },
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "token signature or algorithm is not accepted"
        }
        _ => "malformed token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_core::settings::Secret;

    fn settings() -> AuthSettings {
        AuthSettings { secret: Some(Secret::new("x".repeat(32))), ..AuthSettings::default() }
    }

    fn secret() -> Keys {
        Keys::Secret(vec![b'x'; 32])
    }

    #[test]
    fn configuration_is_checked() {
        let too_lax = AuthSettings { leeway_secs: 31, ..settings() };
        let err = Authenticator::new(&too_lax, secret()).unwrap_err().to_string();
        assert_eq!(err, "auth.leeway_secs: 31 is more than the 30 s allowed");
        let short = Authenticator::new(&settings(), Keys::Secret(vec![b'x'; 31])).unwrap_err().to_string();
        assert_eq!(short, "auth.secret: must be at least 32 bytes");
        let no_issuer = AuthSettings { issuer: " ".into(), ..settings() };
        assert!(Authenticator::new(&no_issuer, secret()).is_err());
        let pem_for_hs = Keys::Pem { public: Vec::new(), private: None };
        assert!(Authenticator::new(&settings(), pem_for_hs).is_err());
        let rs = AuthSettings { algorithm: TokenAlgorithm::RS256, ..settings() };
        assert!(Authenticator::new(&rs, secret()).is_err());
    }

    #[test]
    fn minted_tokens_verify_and_carry_the_role() {
        let auth = Authenticator::new(&settings(), secret()).unwrap();
        let now = Utc::now();
        let token = auth.mint(Role::Member, " Sun1229@Gmail.com", Duration::from_secs(60), now).unwrap();
        let expected = Principal::Member { account: Account::parse("sun1229@gmail.com").unwrap() };
        assert_eq!(auth.principal(Some(&format!("Bearer {token}"))), Ok(expected));
        assert_eq!(auth.principal(None), Ok(Principal::Anonymous));
        assert!(auth.principal(Some(&token)).is_err(), "the Bearer scheme is required");
        let expired = auth.mint(Role::Admin, "ops", Duration::from_secs(0), now - chrono::Duration::hours(1));
        assert_eq!(auth.verify(&expired.unwrap()), Err(TokenError("token expired".into())));
    }

    /// Signs `claims` with the test secret and `header`.
    fn signed(header: &Header, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(&[b'x'; 32])).unwrap()
    }

    fn claims(lifetime: i64) -> serde_json::Value {
        let now = Utc::now().timestamp();
        serde_json::json!({ "sub": "ops", "role": "admin", "iss": "platform", "aud": "platform-api",
                            "nbf": now, "iat": now, "exp": now + lifetime })
    }

    #[test]
    fn rfc_7515_crit_headers_are_refused() {
        let auth = Authenticator::new(&settings(), secret()).unwrap();
        assert!(auth.verify(&signed(&Header::new(Algorithm::HS256), &claims(60))).is_ok());
        let mut critical = Header::new(Algorithm::HS256);
        critical.crit = Some(vec!["exp".to_owned()]);
        let err = auth.verify(&signed(&critical, &claims(60))).unwrap_err();
        assert!(err.0.contains("crit"), "{err}");
    }

    #[test]
    fn the_issuer_must_be_a_string() {
        let auth = Authenticator::new(&settings(), secret()).unwrap();
        let mut array = claims(60);
        array["iss"] = serde_json::json!(["platform", "elsewhere"]);
        let err = auth.verify(&signed(&Header::new(Algorithm::HS256), &array)).unwrap_err();
        assert!(err.0.contains("issuer"), "{err}");
    }

    #[test]
    fn token_lifetimes_are_bounded_when_minting_and_verifying() {
        let auth = Authenticator::new(&settings(), secret()).unwrap();
        let max = AuthSettings::default().max_token_ttl_secs;
        assert_eq!(max, 30 * 24 * 3600);
        let too_long = auth.mint(Role::Admin, "ops", Duration::from_secs(max + 1), Utc::now()).unwrap_err();
        assert!(too_long.to_string().contains("at most 2592000 s"), "{too_long}");
        assert!(auth.mint(Role::Admin, "ops", Duration::from_secs(max), Utc::now()).is_ok());
        let forever = signed(&Header::new(Algorithm::HS256), &claims(10 * 365 * 24 * 3600));
        let err = auth.verify(&forever).unwrap_err();
        assert!(err.0.contains("lifetime"), "{err}");
        // nbf far in the past does not stretch the window: exp is measured from now as well.
        let mut late = claims(0);
        late["nbf"] = serde_json::json!(Utc::now().timestamp() - 100);
        late["exp"] = serde_json::json!(Utc::now().timestamp() + i64::try_from(max).unwrap() + 100);
        assert!(auth.verify(&signed(&Header::new(Algorithm::HS256), &late)).is_err());
    }
}
