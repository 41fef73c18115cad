//! Subscribe statuses with the seed's `subscribeStatus` codes (1:現訂戶 2:斷訂戶 3:止寄 4:贈閱 5:贈閱結束).

/// An entitlement's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscribeStatus {
    /// 1 現訂戶: paid and covered.
    Current,
    /// 2 斷訂戶: the paid term ran out.
    Lapsed,
    /// 3 止寄: stopped by an operator.
    Stopped,
    /// 4 贈閱: complimentary.
    Complimentary,
    /// 5 贈閱結束: the complimentary term ran out.
    ComplimentaryEnded,
}

impl SubscribeStatus {
    /// Every status in code order.
    pub const ALL: [SubscribeStatus; 5] = [
        SubscribeStatus::Current,
        SubscribeStatus::Lapsed,
        SubscribeStatus::Stopped,
        SubscribeStatus::Complimentary,
        SubscribeStatus::ComplimentaryEnded,
    ];

    /// The seed's numeric code.
    pub const fn code(self) -> u8 {
        match self {
            SubscribeStatus::Current => 1,
            SubscribeStatus::Lapsed => 2,
            SubscribeStatus::Stopped => 3,
            SubscribeStatus::Complimentary => 4,
            SubscribeStatus::ComplimentaryEnded => 5,
        }
    }

    /// The status of a seed code, `None` for an unknown code.
    pub fn from_code(code: u8) -> Option<SubscribeStatus> {
        SubscribeStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// **R10:** the status an entitlement takes when its due date has passed, or `None` when expiry does not
    /// touch it (STOPPED is only ever set by an operator; ended statuses stay).
    pub const fn after_expiry(self) -> Option<SubscribeStatus> {
        match self {
            SubscribeStatus::Current => Some(SubscribeStatus::Lapsed),
            SubscribeStatus::Complimentary => Some(SubscribeStatus::ComplimentaryEnded),
            SubscribeStatus::Lapsed | SubscribeStatus::Stopped | SubscribeStatus::ComplimentaryEnded => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r10_expiry_transitions() {
        let after: Vec<(u8, Option<u8>)> = SubscribeStatus::ALL
            .iter()
            .map(|s| (s.code(), s.after_expiry().map(SubscribeStatus::code)))
            .collect();
        assert_eq!(after, [(1, Some(2)), (2, None), (3, None), (4, Some(5)), (5, None)]);
    }

    #[test]
    fn codes_round_trip() {
        for status in SubscribeStatus::ALL {
            assert_eq!(SubscribeStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(SubscribeStatus::from_code(0), None);
    }
}
