//! Bulk statements on the orders domain's tables that are not a use case of their own: the mask of an
//! anonymized copy (the contract is [`platform_core::bulk`]).

use platform_core::bulk::Mask;

/// Receivers' names and reaches, invoice titles and carriers, and the card token of every order go; order
/// numbers, lines and amounts stay.
pub const MASKS: [Mask; 1] = [Mask {
    table: "orders",
    sql: "UPDATE orders SET receiver_name = id || ' テスト', \
         receiver_email = CASE WHEN receiver_email IS NULL THEN NULL ELSE 'dev+order-' || id || '@example.invalid' END, \
         receiver_phone = NULL, receiver_mobile = NULL, receiver_street = NULL, \
         invoice_title = CASE WHEN invoice_title IS NULL THEN NULL ELSE id || ' テスト' END, \
         invoice_carrier_code = NULL, payment_token = NULL",
}];
