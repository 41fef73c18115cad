//! ECPay's message protection, as its documentation describes it: the `Data` of 站內付2.0 requests and
//! answers is the JSON, URL-encoded, encrypted with AES-128-CBC (key HashKey, IV HashIV, PKCS7) and
//! base64-encoded; `CheckMacValue` (AIO callbacks and settlement files) is the SHA-256 (or MD5) of the
//! parameters sorted by name between `HashKey=` and `HashIV=`, URL-encoded the .NET way and lower-cased,
//! in upper-case hex.

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest;

type Encryptor = cbc::Encryptor<aes::Aes128>;
type Decryptor = cbc::Decryptor<aes::Aes128>;

/// Why a `Data` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// HashKey and HashIV must be 16 bytes each.
    #[error("HashKey and HashIV must be 16 characters each")]
    KeyLength,
    /// Not base64, not whole blocks, bad padding (a wrong key), or not URL-encoded UTF-8.
    #[error("the encrypted data cannot be read with this HashKey and HashIV")]
    Unreadable,
}

/// The key pair of a merchant: HashKey and HashIV (secrets; never logged).
#[derive(Clone)]
pub struct Keys {
    key: [u8; 16],
    iv: [u8; 16],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(****)")
    }
}

impl Keys {
    /// The pair from HashKey and HashIV as ECPay gives them (16 characters each).
    pub fn new(hash_key: &str, hash_iv: &str) -> Result<Keys, CryptoError> {
        let key: [u8; 16] = hash_key.as_bytes().try_into().map_err(|_| CryptoError::KeyLength)?;
        let iv: [u8; 16] = hash_iv.as_bytes().try_into().map_err(|_| CryptoError::KeyLength)?;
        Ok(Keys { key, iv })
    }

    /// `Data` of a request: `json` URL-encoded, encrypted, base64.
    pub fn encrypt(&self, json: &str) -> String {
        let encoded = url_encode(json);
        let sealed = Encryptor::new(&self.key.into(), &self.iv.into())
            .encrypt_padded_vec_mut::<Pkcs7>(encoded.as_bytes());
        STANDARD.encode(sealed)
    }

    /// The JSON of an answer's `Data`.
    pub fn decrypt(&self, data: &str) -> Result<String, CryptoError> {
        let sealed = STANDARD.decode(data.trim()).map_err(|_| CryptoError::Unreadable)?;
        let opened = Decryptor::new(&self.key.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&sealed)
            .map_err(|_| CryptoError::Unreadable)?;
        let text = String::from_utf8(opened).map_err(|_| CryptoError::Unreadable)?;
        url_decode(&text).ok_or(CryptoError::Unreadable)
    }

    /// `CheckMacValue` of `params` (the `CheckMacValue` parameter itself left out) with `method`.
    pub fn check_mac_value<'a>(
        &self,
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        method: MacMethod,
    ) -> String {
        let mut sorted: Vec<(&str, &str)> =
            params.into_iter().filter(|(name, _)| !name.eq_ignore_ascii_case("CheckMacValue")).collect();
        sorted.sort_by(|a, b| a.0.to_ascii_lowercase().cmp(&b.0.to_ascii_lowercase()));
        let mut raw = String::from("HashKey=");
        raw.push_str(&String::from_utf8_lossy(&self.key));
        for (name, value) in sorted {
            raw.push('&');
            raw.push_str(name);
            raw.push('=');
            raw.push_str(value);
        }
        raw.push_str("&HashIV=");
        raw.push_str(&String::from_utf8_lossy(&self.iv));
        let encoded = url_encode(&raw).to_lowercase();
        match method {
            MacMethod::Sha256 => hex::encode_upper(sha2::Sha256::digest(encoded.as_bytes())),
            MacMethod::Md5 => hex::encode_upper(md5::Md5::digest(encoded.as_bytes())),
        }
    }
}

/// The hash of a `CheckMacValue` (`EncryptType` 1 is SHA-256; MD5 is used by the e-invoice and
/// logistics APIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacMethod {
    /// SHA-256 (`EncryptType=1`).
    Sha256,
    /// MD5.
    Md5,
}

/// URL-encoding as .NET's `HttpUtility.UrlEncode` writes it (ECPay's reference table): letters, digits and
/// `-_.!*()` kept, a space as `+`, every other byte of the UTF-8 as `%XX`.
pub fn url_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for byte in raw.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'*' | b'(' | b')' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => {
                out.push('%');
                out.push_str(&format!("{other:02X}"));
            }
        }
    }
    out
}

/// The inverse of [`url_encode`] (any case of hex, `+` as a space); `None` when it is not UTF-8.
pub fn url_decode(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'+' => out.push(b' '),
            b'%' if at + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 2;
            }
            b'%' => return None,
            other => out.push(other),
        }
        at += 1;
    }
    String::from_utf8(out).ok()
}
