//! Invoice fields (seed 004: invoiceType 1紙本 2會員載具 3手機條碼載具 4自然人憑證載具 5公司戶電子發票 6捐贈發票,
//! invoiceVat, deviceType/deviceCode, donationCode) and the rules of Taiwan's e-invoice formats.

use crate::OrdersError;

/// Invoice fields of an order, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Invoice {
    /// 1–6 as in the seed.
    pub invoice_type: i16,
    /// 發票抬頭; defaults to the receiver's name.
    pub title: Option<String>,
    /// 發票開立方式, kept as given.
    pub issue_type: Option<String>,
    /// 統一編號 (8 digits with a valid check digit).
    pub vat: Option<String>,
    /// 載具類型.
    pub carrier_type: Option<String>,
    /// 載具碼.
    pub carrier_code: Option<String>,
    /// 捐贈碼 (3–7 digits).
    pub donation_code: Option<String>,
}

/// Paper invoice: the seed's default.
pub const PAPER: i16 = 1;
/// Member carrier (會員載具).
pub const MEMBER_CARRIER: i16 = 2;
/// Mobile barcode carrier (手機條碼): `/` and 7 characters of `0-9 A-Z . + -`.
pub const MOBILE_BARCODE: i16 = 3;
/// Citizen digital certificate carrier (自然人憑證): 2 capital letters and 14 digits.
pub const CITIZEN_CERTIFICATE: i16 = 4;
/// Company e-invoice (公司戶電子發票): needs a VAT number.
pub const COMPANY: i16 = 5;
/// Donated invoice (捐贈發票): needs a donation code.
pub const DONATION: i16 = 6;

fn invalid(field: &str, message: impl Into<String>) -> OrdersError {
    OrdersError::invalid(format!("invoice.{field}"), message)
}

fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A free-text field: trimmed, empty meaning none, at most `max` characters, no control character.
fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, OrdersError> {
    present(value)
        .map(|v| members::validate::text(&format!("invoice.{field}"), &v, max))
        .transpose()
        .map_err(OrdersError::from)
}

impl Invoice {
    /// Checks and normalises invoice input; `receiver_name` is the default title.
    pub fn validate(input: Invoice, receiver_name: &str) -> Result<Invoice, OrdersError> {
        let invoice_type = input.invoice_type;
        if !(PAPER..=DONATION).contains(&invoice_type) {
            return Err(invalid("type", format!("{invoice_type} is not 1-6 (1紙本 … 6捐贈)")));
        }
        let vat = present(input.vat);
        let carrier_code = present(input.carrier_code);
        let donation_code = present(input.donation_code);
        let title = text("title", input.title, 200)?.or_else(|| Some(receiver_name.to_owned()));
        if let Some(vat) = &vat
            && !valid_vat(vat)
        {
            return Err(invalid("vat", format!("{vat:?} is not a valid 統一編號 (8 digits, check digit)")));
        }
        let carrier_type = match invoice_type {
            MOBILE_BARCODE => {
                let code =
                    carrier_code.as_deref().ok_or_else(|| invalid("carrierCode", "required for type 3"))?;
                if !valid_mobile_barcode(code) {
                    return Err(invalid(
                        "carrierCode",
                        format!("{code:?} is not a mobile barcode like /ABC+123"),
                    ));
                }
                Some("3J0002".to_owned())
            }
            CITIZEN_CERTIFICATE => {
                let code =
                    carrier_code.as_deref().ok_or_else(|| invalid("carrierCode", "required for type 4"))?;
                if !valid_citizen_certificate(code) {
                    return Err(invalid(
                        "carrierCode",
                        format!("{code:?} is not a citizen certificate like AB12345678901234"),
                    ));
                }
                Some("CQ0001".to_owned())
            }
            MEMBER_CARRIER => {
                Some(text("carrierType", input.carrier_type, 32)?.unwrap_or_else(|| "MEMBER".to_owned()))
            }
            _ => {
                if carrier_code.is_some() {
                    return Err(invalid(
                        "carrierCode",
                        format!("only with a carrier (types 2-4), not type {invoice_type}"),
                    ));
                }
                None
            }
        };
        if invoice_type == COMPANY && vat.is_none() {
            return Err(invalid("vat", "required for a company e-invoice (type 5)"));
        }
        if invoice_type == DONATION {
            let code =
                donation_code.as_deref().ok_or_else(|| invalid("donationCode", "required for type 6"))?;
            if !(3..=7).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_digit()) {
                return Err(invalid("donationCode", format!("{code:?} is not 3-7 digits")));
            }
            if vat.is_some() {
                return Err(invalid("vat", "a donated invoice cannot carry a VAT number"));
            }
        } else if donation_code.is_some() {
            return Err(invalid(
                "donationCode",
                format!("only with a donated invoice (type 6), not type {invoice_type}"),
            ));
        }
        let issue_type = text("issueType", input.issue_type, 32)?;
        Ok(Invoice { invoice_type, title, issue_type, vat, carrier_type, carrier_code, donation_code })
    }
}

/// 統一編號: 8 digits; weights 1,2,1,2,1,2,4,1, digit products summed digit-wise; the sum must be divisible
/// by 5 (the 2023 rule, which accepts every number valid under the old divisible-by-10 rule), or, when the
/// 7th digit is 7, the sum plus one.
pub fn valid_vat(vat: &str) -> bool {
    const WEIGHTS: [u32; 8] = [1, 2, 1, 2, 1, 2, 4, 1];
    if vat.len() != 8 || !vat.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = vat.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| (d * w) / 10 + (d * w) % 10).sum();
    sum.is_multiple_of(5) || (digits[6] == 7 && (sum + 1).is_multiple_of(5))
}

/// 手機條碼: `/` then 7 characters of `0-9`, `A-Z`, `.`, `+`, `-`.
pub fn valid_mobile_barcode(code: &str) -> bool {
    code.len() == 8
        && code.starts_with('/')
        && code[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, '.' | '+' | '-'))
}

/// 自然人憑證: 2 capital letters and 14 digits.
pub fn valid_citizen_certificate(code: &str) -> bool {
    code.len() == 16
        && code[..2].chars().all(|c| c.is_ascii_uppercase())
        && code[2..].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(invoice_type: i16) -> Invoice {
        Invoice { invoice_type, ..Invoice::default() }
    }

    #[test]
    fn vat_numbers() {
        for good in ["04595257", "12345675", "10458575"] {
            assert!(valid_vat(good), "{good}");
        }
        for bad in ["04595258", "1234567", "1234567a", "123456789"] {
            assert!(!valid_vat(bad), "{bad}");
        }
    }

    #[test]
    fn invoice_types_table() {
        let ok = |i: Invoice| Invoice::validate(i, "王小明");
        let paper = ok(invoice(PAPER)).unwrap();
        assert_eq!(paper.title.as_deref(), Some("王小明"), "title defaults to the receiver");
        assert!(ok(Invoice { vat: Some("04595257".into()), ..invoice(PAPER) }).is_ok());
        assert_eq!(ok(invoice(MEMBER_CARRIER)).unwrap().carrier_type.as_deref(), Some("MEMBER"));
        let mobile =
            ok(Invoice { carrier_code: Some("/ABC+123".into()), ..invoice(MOBILE_BARCODE) }).unwrap();
        assert_eq!(mobile.carrier_type.as_deref(), Some("3J0002"));
        assert!(
            ok(Invoice { carrier_code: Some("AB12345678901234".into()), ..invoice(CITIZEN_CERTIFICATE) })
                .is_ok()
        );
        assert!(ok(Invoice { vat: Some("04595257".into()), ..invoice(COMPANY) }).is_ok());
        assert!(ok(Invoice { donation_code: Some("919".into()), ..invoice(DONATION) }).is_ok());

        let refused: [(Invoice, &str); 10] = [
            (invoice(0), "invoice.type: "),
            (invoice(7), "invoice.type: "),
            (invoice(MOBILE_BARCODE), "invoice.carrierCode: required"),
            (
                Invoice { carrier_code: Some("ABC1234".into()), ..invoice(MOBILE_BARCODE) },
                "invoice.carrierCode: ",
            ),
            (
                Invoice { carrier_code: Some("/abc1234".into()), ..invoice(MOBILE_BARCODE) },
                "invoice.carrierCode: ",
            ),
            (
                Invoice { carrier_code: Some("A112345678901234".into()), ..invoice(CITIZEN_CERTIFICATE) },
                "invoice.carrierCode: ",
            ),
            (invoice(COMPANY), "invoice.vat: required"),
            (Invoice { vat: Some("12345678".into()), ..invoice(COMPANY) }, "invoice.vat: "),
            (Invoice { donation_code: Some("12".into()), ..invoice(DONATION) }, "invoice.donationCode: "),
            (Invoice { donation_code: Some("919".into()), ..invoice(PAPER) }, "invoice.donationCode: only"),
        ];
        for (input, message) in refused {
            let err = ok(input.clone()).unwrap_err().to_string();
            assert!(err.starts_with(message), "{input:?}: expected {message:?}, got {err}");
        }
    }
}
