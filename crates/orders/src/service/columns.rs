//! The receiver and the invoice as an order's columns: the one writer every path that inserts an order
//! uses (`createOrder`, AUTO orders, the history import) and the one reader.

use crate::entity::order;
use crate::invoice::Invoice;
use crate::model::Receiver;
use members::Address;
use sea_orm::ActiveValue::Set;

/// Sets the columns of `receiver` and `invoice` on `row`.
pub(crate) fn write(row: &mut order::ActiveModel, receiver: &Receiver, invoice: &Invoice) {
    row.receiver_name = Set(receiver.name.clone());
    row.receiver_phone = Set(receiver.phone.clone());
    row.receiver_mobile = Set(receiver.mobile.clone());
    row.receiver_email = Set(receiver.email.clone());
    row.receiver_country = Set(receiver.address.country.clone());
    row.receiver_postal_code = Set(receiver.address.postal_code.clone());
    row.receiver_city = Set(receiver.address.city.clone());
    row.receiver_street = Set(receiver.address.street.clone());
    row.invoice_type = Set(invoice.invoice_type);
    row.invoice_title = Set(invoice.title.clone());
    row.invoice_issue_type = Set(invoice.issue_type.clone());
    row.invoice_vat = Set(invoice.vat.clone());
    row.invoice_carrier_type = Set(invoice.carrier_type.clone());
    row.invoice_carrier_code = Set(invoice.carrier_code.clone());
    row.invoice_donation_code = Set(invoice.donation_code.clone());
}

/// The receiver and invoice of `row`, taken out of it.
pub(crate) fn take(row: &mut order::Model) -> (Receiver, Invoice) {
    let take = std::mem::take::<Option<String>>;
    let receiver = Receiver {
        name: std::mem::take(&mut row.receiver_name),
        phone: take(&mut row.receiver_phone),
        mobile: take(&mut row.receiver_mobile),
        email: take(&mut row.receiver_email),
        address: Address {
            country: take(&mut row.receiver_country),
            postal_code: take(&mut row.receiver_postal_code),
            city: take(&mut row.receiver_city),
            street: take(&mut row.receiver_street),
        },
    };
    let invoice = Invoice {
        invoice_type: row.invoice_type,
        title: take(&mut row.invoice_title),
        issue_type: take(&mut row.invoice_issue_type),
        vat: take(&mut row.invoice_vat),
        carrier_type: take(&mut row.invoice_carrier_type),
        carrier_code: take(&mut row.invoice_carrier_code),
        donation_code: take(&mut row.invoice_donation_code),
    };
    (receiver, invoice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ActiveModelTrait, ActiveValue};

    #[test]
    fn every_receiver_and_invoice_column_is_written() {
        let receiver = Receiver {
            name: "王小明".into(),
            phone: Some("02-2345-6789".into()),
            mobile: Some("0912345678".into()),
            email: Some("ming@example.com".into()),
            address: Address {
                country: Some("TW".into()),
                postal_code: Some("10491".into()),
                city: Some("台北市".into()),
                street: Some("中山區南京東路三段 1 號".into()),
            },
        };
        let invoice = Invoice {
            invoice_type: crate::invoice::COMPANY,
            title: Some("天下".into()),
            issue_type: Some("2".into()),
            vat: Some("04595257".into()),
            carrier_type: Some("3J0002".into()),
            carrier_code: Some("/ABC+123".into()),
            donation_code: Some("919".into()),
        };
        let mut active = <order::ActiveModel as Default>::default();
        write(&mut active, &receiver, &invoice);
        // Every receiver and invoice column is set, so none is left to a default.
        for column in [
            order::Column::ReceiverName,
            order::Column::ReceiverPhone,
            order::Column::ReceiverMobile,
            order::Column::ReceiverEmail,
            order::Column::ReceiverCountry,
            order::Column::ReceiverPostalCode,
            order::Column::ReceiverCity,
            order::Column::ReceiverStreet,
            order::Column::InvoiceType,
            order::Column::InvoiceTitle,
            order::Column::InvoiceIssueType,
            order::Column::InvoiceVat,
            order::Column::InvoiceCarrierType,
            order::Column::InvoiceCarrierCode,
            order::Column::InvoiceDonationCode,
        ] {
            assert!(matches!(active.get(column), ActiveValue::Set(_)), "{column:?}");
        }
        assert_eq!(active.invoice_vat, ActiveValue::Set(Some("04595257".into())));
        assert_eq!(active.receiver_street, ActiveValue::Set(receiver.address.street.clone()));
    }
}
