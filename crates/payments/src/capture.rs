//! Delayed capture and settlement (R23; seed 000 task 14, GMO 仮売上を実売上にする): with
//! `gateway.capture = DELAYED` an approved charge is only authorised; `CAPTURE_PAYMENTS` later captures what
//! is left of it or voids it. A gateway's settlement lists what it captured, for reconciliation.

use platform_core::Money;

/// When an approved charge is captured (`gateway.capture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptureMode {
    /// Captured with the charge (the default).
    #[default]
    Immediate,
    /// Authorised only; captured or voided by `CAPTURE_PAYMENTS`.
    Delayed,
}

impl CaptureMode {
    /// The settings' name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CaptureMode::Immediate => "IMMEDIATE",
            CaptureMode::Delayed => "DELAYED",
        }
    }

    /// From the settings' name (case aside).
    pub fn parse(raw: &str) -> Option<CaptureMode> {
        [CaptureMode::Immediate, CaptureMode::Delayed]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(raw.trim()))
    }
}

/// A capture or void of an authorised charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRequest {
    /// The gateway's id of the charge.
    pub transaction_id: String,
    /// What to capture (at most what was authorised); a void gives up the whole authorisation.
    pub amount: Money,
}

/// What the gateway decided of a capture or void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// Done (or done before).
    Done,
    /// Refused for good (an expired authorisation, an unknown charge); why.
    Refused {
        /// Why.
        reason: String,
    },
}

/// One transaction of a gateway's settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The gateway's id of the charge (ours: [`crate::ChargeOutcome::Approved`]'s).
    pub transaction_id: String,
    /// What it settled (captured).
    pub amount: Money,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_capture_modes_parse_by_name() {
        assert_eq!(CaptureMode::parse("delayed"), Some(CaptureMode::Delayed));
        assert_eq!(CaptureMode::parse(" IMMEDIATE "), Some(CaptureMode::Immediate));
        assert_eq!(CaptureMode::parse("later"), None);
        assert_eq!(CaptureMode::default(), CaptureMode::Immediate);
    }
}
