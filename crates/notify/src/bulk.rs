//! Bulk statements on the notification tables that are not a use case of their own: the masks of an
//! anonymized copy (the contract is [`platform_core::bulk`]).

use platform_core::bulk::Mask;

/// Rendered e-mails carry names and addresses (a development copy needs none of them); a delivery's last
/// error may quote a receiver's answer; production's receivers must never hear from a copy, nor its
/// secrets live on in one.
pub const MASKS: [Mask; 3] = [
    Mask { table: "emails", sql: "DELETE FROM emails" },
    Mask { table: "webhook_deliveries", sql: "UPDATE webhook_deliveries SET last_error = NULL" },
    Mask {
        table: "webhook_endpoints",
        sql: "UPDATE webhook_endpoints SET status = 'DISABLED', disabled_reason = 'anonymized development copy', \
         secret = 'whsec_' || id, previous_secret = NULL, previous_secret_until = NULL",
    },
];
