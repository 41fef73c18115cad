//! What every renewal e-mail (R8 notice, receipt, card-update request) says and to whom it goes.

use crate::RenewalsError;
use crate::entity::renewal;
use members::service::Contact;
use sea_orm::ConnectionTrait;
use serde_json::json;

/// The variables every renewal e-mail has, for the payer named `name`.
pub(crate) fn mail_data(
    row: &renewal::Model,
    name: &str,
    order_no: Option<&str>,
    card_update_url_template: &str,
) -> serde_json::Value {
    json!({
        "renewalId": row.id, "customerName": name, "promotionCode": row.promotion_code,
        "productName": row.product_name.clone().unwrap_or_else(|| row.promotion_code.clone()),
        "deductDate": row.deduct_date, "deductPrice": row.deduct_price.amount() + row.shipping_fee.amount(),
        "cardLast4": row.payment_card, "orderNo": order_no,
        "cardUpdateUrl": card_update_url(card_update_url_template, row.id),
    })
}

/// The card-update link of the renewal: the configured template with `{renewalId}` replaced.
pub(crate) fn card_update_url(template: &str, renewal_id: i64) -> String {
    template.replace("{renewalId}", &renewal_id.to_string())
}

/// Who gets the renewal's e-mails: the paying customer's address (else its member's) and name.
pub(crate) async fn recipient(
    db: &impl ConnectionTrait,
    row: &renewal::Model,
) -> Result<(Option<String>, String), RenewalsError> {
    let contacts = members::service::contacts_of(db, &[(row.customer_id, row.member_id)]).await?;
    Ok(addressee(contacts.get(&row.customer_id)))
}

/// The address and the name (the customer number when it has none) of a payer's contact.
pub(crate) fn addressee(contact: Option<&Contact>) -> (Option<String>, String) {
    contact.map_or((None, String::new()), |c| {
        (c.email.clone(), c.name.clone().unwrap_or_else(|| c.customer_no.clone()))
    })
}
