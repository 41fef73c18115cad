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
        sorted.sort_by_key(|a| a.0.to_ascii_lowercase());
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

#[cfg(test)]
mod tests {
    //! Known answers from ECPay's documentation (附錄 AES 加解密, 檢查碼機制), not values computed here.

    use super::*;

    #[test]
    fn r23_the_payload_encryption_matches_ecpay_s_worked_examples() {
        let json = r#"{"Name":"Test","ID":"A123456789"}"#;
        assert_eq!(url_encode(json), "%7B%22Name%22%3A%22Test%22%2C%22ID%22%3A%22A123456789%22%7D");
        for (key, iv, sealed) in [
            (
                "7b53896b742849d3",
                "37a0ad3c6ffa428b",
                "oxmUqzelA4koGRQ+myZggW5qNqlVdytGJadngOuWA7jd1Fakpay72J/w5IXLIINqCYcmx7gLsaednuH54LjffA==",
            ),
            (
                "ejCk326UnaZWKisg",
                "q9jcZX8Ib9LM8wYk",
                "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg==",
            ),
        ] {
            let keys = Keys::new(key, iv).unwrap();
            assert_eq!(keys.encrypt(json), sealed, "{key}");
            assert_eq!(keys.decrypt(sealed).unwrap(), json, "{key}");
        }
        // The documentation's lower-case encoding of the same JSON decrypts to it as well.
        let keys = Keys::new("ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk").unwrap();
        let lower =
            "ZD/z07UvdmL3aYz0tsVo+bFXF5VldNcns6ezyfea777KOmLiizrUNDYe+v1bh2QTT4AySf1NICgXxWXB6f7c6A==";
        assert_eq!(keys.decrypt(lower).unwrap(), json);
    }

    #[test]
    fn r23_a_wrong_key_or_a_damaged_payload_is_refused() {
        let keys = Keys::new("7b53896b742849d3", "37a0ad3c6ffa428b").unwrap();
        let other = Keys::new("ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk").unwrap();
        let sealed = keys.encrypt(r#"{"RtnCode":1}"#);
        assert!(
            other.decrypt(&sealed).is_err()
                || other.decrypt(&sealed).ok().as_deref() != Some(r#"{"RtnCode":1}"#)
        );
        assert_eq!(keys.decrypt("not base64!"), Err(CryptoError::Unreadable));
        assert_eq!(keys.decrypt("AAAA"), Err(CryptoError::Unreadable));
        assert_eq!(Keys::new("short", "37a0ad3c6ffa428b").err(), Some(CryptoError::KeyLength));
        assert_eq!(format!("{keys:?}"), "Keys(****)", "the keys never reach a log line");
    }

    #[test]
    fn r23_check_mac_value_matches_ecpay_s_worked_example() {
        let keys = Keys::new("ejCk326UnaZWKisg", "q9jcZX8Ib9LM8wYk").unwrap();
        let params = [
            ("RtnCode", "1"),
            ("RtnMsg", ""),
            ("IA_Allow_No", "1909181313013546"),
            ("IA_Invoice_No", "UV11100019"),
            ("IA_Date", "2019-09-18 13:13:23"),
            ("IIS_Remain_Allowance_Amt", "0"),
        ];
        assert_eq!(keys.check_mac_value(params, MacMethod::Md5), "50A276E71DAE26343013958B405EEEA0");
    }

    #[test]
    fn r23_url_encoding_round_trips_any_text() {
        for raw in ["", "a b+c", "促銷方案 !*()~'", "{\"x\":\"%41\"}", "line\nbreak"] {
            assert_eq!(url_decode(&url_encode(raw)).as_deref(), Some(raw));
        }
        assert_eq!(url_decode("%e4%bf%83").as_deref(), Some("促"));
        assert_eq!(url_decode("%zz"), None);
        assert_eq!(url_decode("%4"), None);
    }
}
