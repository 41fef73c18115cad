//! What ECPay's answers mean for a charge. `TransCode` other than 1: the envelope was refused (a bad key, a
//! timestamp outside the ten-minute window) and nothing was done — transient, retry under the same key.
//! `RtnCode` 1: done. A `MerchantTradeNo` ECPay has seen: the trade exists — ask what it became. Codes of
//! ECPay's own temporary trouble (system busy, bank not answering): transient. Every other code is the
//! bank's or ECPay's refusal: declined, with ECPay's message for the payer.

/// How to treat one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Approved.
    Done,
    /// The trade number was used before: query the trade.
    Duplicate,
    /// Nothing happened; retry later under the same key.
    Transient(String),
    /// Refused for good; the reason (`ecpay <code>: <message>`).
    Declined(String),
}

/// `RtnCode` of a `MerchantTradeNo` ECPay has already seen (訂單編號重覆).
pub(super) const DUPLICATE_TRADE_NO: i64 = 10_200_047;

/// `RtnCode`s of ECPay's temporary trouble: its system busy or the bank not answering (try again later).
pub(super) const TRANSIENT: [i64; 4] = [10_100_050, 10_100_058, 10_200_050, 10_300_006];

/// The meaning of `rtn_code` with `message`.
pub fn classify(rtn_code: i64, message: &str) -> Answer {
    let message = message.trim();
    match rtn_code {
        1 => Answer::Done,
        DUPLICATE_TRADE_NO => Answer::Duplicate,
        code if TRANSIENT.contains(&code) => Answer::Transient(format!("ecpay {code}: {message}")),
        code => Answer::Declined(format!("ecpay {code}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_return_codes_map_to_approved_declined_with_the_bank_message_or_transient() {
        let table = [
            (1, "Success", Answer::Done),
            (DUPLICATE_TRADE_NO, "訂單編號重覆", Answer::Duplicate),
            (10_100_058, "系統忙碌", Answer::Transient("ecpay 10100058: 系統忙碌".into())),
            (10_100_248, "拒絕交易", Answer::Declined("ecpay 10100248: 拒絕交易".into())),
            (10_100_252, " 額度不足 ", Answer::Declined("ecpay 10100252: 額度不足".into())),
        ];
        for (code, message, expected) in table {
            assert_eq!(classify(code, message), expected, "{code}");
        }
    }
}
