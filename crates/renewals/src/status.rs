//! R6 renewal statuses with the seed's `renewStatus` codes.

/// A renewal's status (seed 004 `renewStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenewalStatus {
    /// 0 停訂: stopped by the customer or an operator.
    Stopped,
    /// 1 待執行: waiting for its deduct date.
    Pending,
    /// 2 已執行: charged.
    Executed,
    /// 3 執行失敗: the charge failed.
    Failed,
    /// 4 不執行: replaced by a newer renewal (R4).
    Superseded,
    /// 5 APP續訂單: charged by an app store; the platform never charges it.
    App,
}

impl RenewalStatus {
    /// Every status in code order.
    pub const ALL: [RenewalStatus; 6] = [
        RenewalStatus::Stopped,
        RenewalStatus::Pending,
        RenewalStatus::Executed,
        RenewalStatus::Failed,
        RenewalStatus::Superseded,
        RenewalStatus::App,
    ];

    /// The seed's numeric code.
    pub const fn code(self) -> u8 {
        match self {
            RenewalStatus::Stopped => 0,
            RenewalStatus::Pending => 1,
            RenewalStatus::Executed => 2,
            RenewalStatus::Failed => 3,
            RenewalStatus::Superseded => 4,
            RenewalStatus::App => 5,
        }
    }

    /// The status of a seed code, `None` for an unknown code.
    pub fn from_code(code: u8) -> Option<RenewalStatus> {
        RenewalStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r6_status_codes_are_the_seeds() {
        let codes: Vec<u8> = RenewalStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5]);
        for status in RenewalStatus::ALL {
            assert_eq!(RenewalStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(RenewalStatus::from_code(6), None);
    }
}
