//! Where the token keys come from: the settings, or, for the embedded default only, a secret generated once
//! and kept in `<data_dir>/auth-secret` so that tokens survive restarts.

use anyhow::Context;
use api::auth::{Authenticator, Keys};
use members::Role;
use platform_core::settings::TokenAlgorithm;
use platform_core::{Clock, Settings};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The file, inside `data_dir`, holding the generated secret.
pub const SECRET_FILE: &str = "auth-secret";
/// How long the admin token printed by `serve` stays valid.
pub const PRINTED_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);

/// Where the keys came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// From the settings.
    Configured,
    /// Generated for the embedded default and kept in this file.
    Generated(PathBuf),
}

/// The authenticator of `settings`. In production mode a generated secret is refused.
pub fn authenticator(settings: &Settings) -> anyhow::Result<(Authenticator, KeySource)> {
    let auth = &settings.auth;
    let (keys, source) = match auth.algorithm {
        TokenAlgorithm::HS256 => match &auth.secret {
            Some(secret)
                if settings.production
                    && secret.expose().len() >= api::auth::MIN_SECRET_BYTES
                    && estimated_bits(secret.expose().as_bytes()) < MIN_SECRET_BITS =>
            {
                anyhow::bail!(
                    "production mode refuses a weak auth.secret (about {:.0} bits of entropy, at least \
                     {MIN_SECRET_BITS:.0} needed): use e.g. `openssl rand -hex 32`",
                    estimated_bits(secret.expose().as_bytes())
                )
            }
            Some(secret) => (Keys::Secret(secret.expose().as_bytes().to_vec()), KeySource::Configured),
            None if settings.production => anyhow::bail!(
                "production mode needs auth.secret (at least {} bytes, e.g. PLATFORM_AUTH__SECRET); \
                 a generated secret is refused",
                api::auth::MIN_SECRET_BYTES
            ),
            None => {
                let path = settings.data_dir.join(SECRET_FILE);
                (Keys::Secret(generated_secret(&path)?), KeySource::Generated(path))
            }
        },
        TokenAlgorithm::RS256 | TokenAlgorithm::EdDSA => {
            let public = auth.public_key_file.as_deref().ok_or_else(|| {
                anyhow::anyhow!("auth.public_key_file is required with auth.algorithm = {:?}", auth.algorithm)
            })?;
            let private = auth.private_key_file.as_deref().map(read_key).transpose()?;
            (Keys::Pem { public: read_key(public)?, private }, KeySource::Configured)
        }
    };
    Ok((Authenticator::new(auth, keys)?, source))
}

/// Entropy a production HS256 secret must show at least, in bits (by [`estimated_bits`]).
const MIN_SECRET_BITS: f64 = 96.0;

/// An estimate of a secret's entropy: the length of its shortest repeating unit times the Shannon entropy
/// of that unit's byte frequencies. It cannot see that a secret is a dictionary phrase, but it catches the
/// weak ones people type — one character repeated, `abab…`, `password` four times, `0123456789` over and
/// over — while 32 random bytes in hex score about 240.
fn estimated_bits(secret: &[u8]) -> f64 {
    let period = (1..=secret.len())
        .find(|&p| secret.iter().enumerate().all(|(i, b)| *b == secret[i % p]))
        .unwrap_or(secret.len());
    let secret = &secret[..period];
    let mut counts = [0usize; 256];
    for byte in secret {
        counts[usize::from(*byte)] += 1;
    }
    let length = secret.len() as f64;
    let per_byte: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / length;
            -p * p.log2()
        })
        .sum();
    per_byte * length
}

/// Mints a token for `role` and `subject`, valid for `ttl` from now.
pub fn mint(settings: &Settings, role: Role, subject: &str, ttl: Duration) -> anyhow::Result<String> {
    let (authenticator, _) = authenticator(settings)?;
    Ok(authenticator.mint(role, subject, ttl, Clock::System.now())?)
}

fn read_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading the key file {}", path.display()))
}

/// The secret in `path`, created (32 random bytes, hex, readable by the owner only) when missing.
fn generated_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a secret: {e}"))?;
    let secret = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            tracing::info!(file = %path.display(), "generated a token secret for the embedded default");
            Ok(secret.into_bytes())
        }
        // Another instance created it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)?.trim().as_bytes().to_vec())
        }
        Err(err) => Err(err).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform_core::settings::Secret;

    #[test]
    fn the_generated_secret_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { data_dir: dir.path().join("data"), ..Settings::default() };
        let (first, source) = authenticator(&settings).unwrap();
        assert_eq!(source, KeySource::Generated(dir.path().join("data").join(SECRET_FILE)));
        let token = first.mint(Role::Admin, "ops", Duration::from_secs(60), Clock::System.now()).unwrap();
        let (second, _) = authenticator(&settings).unwrap();
        assert!(second.verify(&token).is_ok(), "a restart keeps tokens valid");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                std::fs::metadata(dir.path().join("data").join(SECRET_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn production_refuses_a_generated_or_short_secret() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings =
            Settings { data_dir: dir.path().to_path_buf(), production: true, ..Settings::default() };
        let err = authenticator(&settings).unwrap_err().to_string();
        assert!(err.contains("production mode needs auth.secret"), "{err}");
        assert!(!dir.path().join(SECRET_FILE).exists(), "nothing generated in production");
        settings.auth.secret = Some(Secret::new("too-short"));
        let err = authenticator(&settings).unwrap_err().to_string();
        assert!(err.contains("auth.secret: must be at least 32 bytes"), "{err}");
        assert!(!err.contains("too-short"), "the secret is never echoed: {err}");
        settings.auth.secret = Some(Secret::new("a-long-enough-secret-for-production-use"));
        assert!(authenticator(&settings).is_ok());
    }

    #[test]
    fn production_refuses_a_weak_secret() {
        let mut settings = Settings { production: true, ..Settings::default() };
        for weak in ["x".repeat(32), "ab".repeat(16), "password".repeat(4), "0123456789".repeat(4)] {
            settings.auth.secret = Some(Secret::new(weak.clone()));
            let err = authenticator(&settings).unwrap_err().to_string();
            assert!(err.contains("weak auth.secret"), "{weak}: {err}");
            assert!(!err.contains(&weak), "the secret is never echoed: {err}");
        }
        settings.auth.secret =
            Some(Secret::new("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
        assert!(authenticator(&settings).is_ok(), "32 random bytes in hex");
        let development = Settings { production: false, ..settings.clone() };
        let mut development = development;
        development.auth.secret = Some(Secret::new("x".repeat(32)));
        assert!(authenticator(&development).is_ok(), "outside production only the length is checked");
    }
}
