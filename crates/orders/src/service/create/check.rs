//! What `createOrder` checks before touching the database: every field bounded, the lines, the receiver
//! and the invoice, and the fingerprint that tells a replay from a different order under one key.

use super::MAX_LINES;
use crate::OrdersError;
use crate::invoice::{self, Invoice};
use crate::model::{LineInput, NewOrder, OrderSource, Payer, Receiver};
use members::{Account, validate};
use platform_core::Money;
use sea_orm::ActiveEnum;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Most units of one line.
const MAX_QUANTITY: i32 = 1000;

/// Input that passed every rule that needs no database, with its fingerprint.
pub(super) struct Checked {
    pub(super) idempotency_key: String,
    pub(super) hash: String,
    pub(super) source: OrderSource,
    pub(super) channel_order_id: Option<String>,
    pub(super) source_code: Option<String>,
    pub(super) member: Option<Account>,
    pub(super) payer: Payer,
    pub(super) receiver: Receiver,
    pub(super) lines: Vec<LineInput>,
    pub(super) shipping_fee: Money,
    pub(super) invoice: Invoice,
    pub(super) payment_method: Option<String>,
    pub(super) payment_token: Option<String>,
    pub(super) card_last4: Option<String>,
    pub(super) complimentary: bool,
}

impl Checked {
    pub(super) fn new(input: NewOrder) -> Result<Checked, OrdersError> {
        let idempotency_key = input.idempotency_key.trim().to_owned();
        if idempotency_key.is_empty() || idempotency_key.len() > 128 {
            return Err(OrdersError::invalid("idempotencyKey", "must be 1-128 characters"));
        }
        let member = input.member_account.as_deref().map(Account::parse).transpose().map_err(|e| {
            OrdersError::invalid("memberAccount", e.to_string().trim_start_matches("account: ").to_owned())
        })?;
        let receiver = check_receiver(input.receiver)?;
        if input.lines.is_empty() {
            return Err(OrdersError::invalid("lines", "an order needs at least one line"));
        }
        if input.lines.len() > MAX_LINES {
            return Err(OrdersError::invalid("lines", format!("at most {MAX_LINES} lines")));
        }
        let mut lines = Vec::with_capacity(input.lines.len());
        for (index, line) in input.lines.into_iter().enumerate() {
            let item_no = line.item_no.trim().to_owned();
            if item_no.is_empty() {
                return Err(OrdersError::invalid(format!("lines[{index}].itemNo"), "must not be empty"));
            }
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                return Err(OrdersError::invalid(
                    format!("lines[{index}].quantity"),
                    format!("must be 1-{MAX_QUANTITY}"),
                ));
            }
            Money::bounded(line.amount)
                .map_err(|e| OrdersError::invalid(format!("lines[{index}].amount"), e.to_string()))?;
            lines.push(LineInput { item_no, ..line });
        }
        let shipping_fee = Money::bounded(input.shipping_fee)
            .map_err(|e| OrdersError::invalid("shippingFee", e.to_string()))?;
        let invoice = Invoice::validate(
            input.invoice.unwrap_or(Invoice { invoice_type: invoice::PAPER, ..Invoice::default() }),
            &receiver.name,
        )?;
        let card_last4 = input.card_last4.map(|c| c.trim().to_owned());
        if let Some(card) = &card_last4
            && (card.len() != 4 || !card.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(OrdersError::invalid("cardLast4", "must be the last 4 digits of the card"));
        }
        let payment_token = input.payment_token.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if payment_token.as_ref().is_some_and(|t| t.len() > 256 || t.chars().any(char::is_control)) {
            // The token is never echoed, not even in an error.
            return Err(OrdersError::invalid(
                "paymentToken",
                "must be at most 256 characters, without control characters",
            ));
        }
        let optional_text = |field: &str, value: Option<String>, max: usize| {
            value.map(|v| validate::text(field, &v, max)).transpose().map_err(OrdersError::from)
        };
        if input.source == Some(OrderSource::App)
            && input.channel_order_id.as_deref().is_none_or(|id| id.trim().is_empty())
        {
            return Err(OrdersError::invalid(
                "channelOrderId",
                "an APP order carries the store's original transaction id",
            ));
        }
        let payer = match input.payer {
            Payer::Existing(no) => Payer::Existing(no.trim().to_owned()),
            Payer::New(customer) => Payer::New(customer),
        };
        let mut checked = Checked {
            idempotency_key,
            hash: String::new(),
            source: input.source.unwrap_or(OrderSource::Ec),
            channel_order_id: optional_text("channelOrderId", input.channel_order_id, 128)?
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty()),
            source_code: optional_text("sourceCode", input.source_code, 64)?,
            member,
            payer,
            receiver,
            lines,
            shipping_fee,
            invoice,
            payment_method: optional_text("paymentMethod", input.payment_method, 32)?,
            payment_token,
            card_last4,
            complimentary: input.complimentary,
        };
        checked.hash = checked.fingerprint();
        Ok(checked)
    }

    /// SHA-256 over every field of the request in a fixed order: equal payloads, equal hashes.
    pub(super) fn fingerprint(&self) -> String {
        let payer = match &self.payer {
            Payer::Existing(no) => json!({ "customerNo": no }),
            Payer::New(c) => json!(format!("{c:?}")),
        };
        let i = &self.invoice;
        let mut canonical = json!([
            self.idempotency_key,
            self.source.to_value(),
            self.source_code,
            self.member.as_ref().map(Account::as_str),
            payer,
            self.receiver,
            self.lines,
            self.shipping_fee.amount(),
            [
                json!(i.invoice_type),
                json!(i.title),
                json!(i.issue_type),
                json!(i.vat),
                json!(i.carrier_type),
                json!(i.carrier_code),
                json!(i.donation_code)
            ],
            self.payment_method,
            self.payment_token,
            self.card_last4,
            self.complimentary,
        ]);
        // Appended only when given, so the fingerprints of orders without one stay what they were.
        if let (Some(id), Some(all)) = (&self.channel_order_id, canonical.as_array_mut()) {
            all.push(json!({ "channelOrderId": id }));
        }
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

pub(super) fn check_receiver(receiver: Receiver) -> Result<Receiver, OrdersError> {
    let field = |name: &str| format!("receiver.{name}");
    let optional = |name: &str, value: Option<String>, max: usize| {
        value.map(|v| validate::text(&field(name), &v, max)).transpose()
    };
    Ok(Receiver {
        name: validate::text(&field("name"), &receiver.name, 200)?,
        phone: receiver.phone.map(|v| validate::phone(&field("phone"), &v)).transpose()?,
        mobile: receiver.mobile.map(|v| validate::phone(&field("mobile"), &v)).transpose()?,
        email: receiver.email.map(|v| validate::email(&field("email"), &v)).transpose()?,
        address: members::Address {
            country: optional("address.country", receiver.address.country, 64)?,
            postal_code: optional("address.postalCode", receiver.address.postal_code, 16)?,
            city: optional("address.city", receiver.address.city, 64)?,
            street: optional("address.street", receiver.address.street, 300)?,
        },
    })
}
