//! The ECPay (綠界) adapter of [`crate::PaymentGateway`] (R23; seed 004 ERP續訂單repay token): a renewal's
//! saved card — its `BindCardID`, the renewal's payment token — charged in the background with 站內付2.0
//! `CreatePaymentWithCardID`; a lost answer settled with `QueryTrade`; refunds with `DoAction` (`R`). Every
//! request is ECPay's envelope (`MerchantID`, `RqHeader.Timestamp` — ECPay refuses one more than ten minutes
//! off — and `Data`, the AES-encrypted, URL-encoded JSON of [`crypto`]). `MerchantTradeNo` is derived from
//! the charge's idempotency key ([`merchant_trade_no`]), so a retry of one charge can never open a second
//! trade: ECPay refuses a number it has seen, and the adapter then asks what that trade became.

mod client;
mod codes;
pub mod crypto;

pub use client::EcpayGateway;
pub use codes::{Answer, classify};
pub use crypto::{CryptoError, Keys, MacMethod};

use sha2::Digest;

/// The most characters of a `MerchantTradeNo`.
pub const TRADE_NO_LEN: usize = 20;

/// The `MerchantTradeNo` of the charge keyed `idempotency_key`: `S` and 19 base-36 digits of its SHA-256,
/// the same for every retry of the charge and (practically) never the same for two charges.
pub fn merchant_trade_no(idempotency_key: &str) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let hash = sha2::Sha256::digest(idempotency_key.as_bytes());
    let mut value = u128::from_be_bytes(hash[..16].try_into().unwrap_or([0; 16]));
    let mut digits = Vec::with_capacity(TRADE_NO_LEN);
    digits.push(b'S');
    for _ in 1..TRADE_NO_LEN {
        digits.push(DIGITS[usize::try_from(value % 36).unwrap_or(0)]);
        value /= 36;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// Our transaction id of an ECPay trade: its `MerchantTradeNo` and ECPay's `TradeNo`, which a refund and a
/// reconciliation both need.
pub fn transaction_id(merchant_trade_no: &str, trade_no: &str) -> String {
    format!("{merchant_trade_no}:{trade_no}")
}

/// The two halves of a [`transaction_id`].
pub fn split_transaction_id(transaction_id: &str) -> Option<(&str, &str)> {
    transaction_id.split_once(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_a_trade_number_is_twenty_alphanumerics_stable_per_key() {
        let first = merchant_trade_no("renewal:42:cycle:3:attempt:1");
        assert_eq!(first.len(), TRADE_NO_LEN);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()), "{first}");
        assert_eq!(first, merchant_trade_no("renewal:42:cycle:3:attempt:1"));
        assert_ne!(first, merchant_trade_no("renewal:42:cycle:3:attempt:2"));
        let numbers: std::collections::HashSet<String> =
            (0..10_000).map(|n| merchant_trade_no(&format!("key-{n}"))).collect();
        assert_eq!(numbers.len(), 10_000);
    }
}
