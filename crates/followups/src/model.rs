//! The values of the queue: kinds, priorities, statuses, a follow-up and its notes.

use chrono::{DateTime, Duration, Utc};

/// What needs doing (SPEC R17). Each kind names what its subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A renewal charge failed after its last automatic retry (`renewal:<id>`).
    RenewalFailedFinal,
    /// A renewal cannot be charged: no card on file (`renewal:<id>`).
    NoPaymentMethod,
    /// A renewal whose plan was retired with no successor on sale (`renewal:<id>`, R18).
    PlanRetired,
    /// A payment whose amount is not the order's total (`order:<orderNo>`).
    PaymentAmountMismatch,
    /// A second payment of a paid order (`order:<orderNo>`).
    DuplicatePayment,
    /// A payment for an order that does not stand (`order:<orderNo>`), or a gateway transaction that no
    /// payment of ours holds (`transaction:<id>`, R23 reconciliation).
    PaymentWithoutOrder,
    /// A paid order whose transaction the gateway's settlement does not hold (`order:<orderNo>`, R23).
    PaymentNotSettled,
    /// An authorised payment the gateway refused to capture or void (`order:<orderNo>`, R23).
    CaptureFailed,
    /// A webhook delivery given up (`delivery:<id>`).
    WebhookDead,
    /// An e-mail that could not be sent (`email:<id>`).
    EmailFailed,
    /// A paid order line whose entitlement could not be granted (`order:<orderNo>`).
    EntitlementFailed,
    /// A raised alert (`alert:<rule>`).
    Alert,
    /// An order ready for the ERP that the ERP has not confirmed in time (`order:<orderNo>`, R21).
    ErpUnconfirmed,
    /// Anything an admin opens by hand (any subject).
    Other,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 14] = [
        Kind::RenewalFailedFinal,
        Kind::NoPaymentMethod,
        Kind::PlanRetired,
        Kind::PaymentAmountMismatch,
        Kind::DuplicatePayment,
        Kind::PaymentWithoutOrder,
        Kind::PaymentNotSettled,
        Kind::CaptureFailed,
        Kind::WebhookDead,
        Kind::EmailFailed,
        Kind::EntitlementFailed,
        Kind::Alert,
        Kind::ErpUnconfirmed,
        Kind::Other,
    ];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::RenewalFailedFinal => "RENEWAL_FAILED_FINAL",
            Kind::NoPaymentMethod => "NO_PAYMENT_METHOD",
            Kind::PlanRetired => "PLAN_RETIRED",
            Kind::PaymentAmountMismatch => "PAYMENT_AMOUNT_MISMATCH",
            Kind::DuplicatePayment => "DUPLICATE_PAYMENT",
            Kind::PaymentWithoutOrder => "PAYMENT_WITHOUT_ORDER",
            Kind::PaymentNotSettled => "PAYMENT_NOT_SETTLED",
            Kind::CaptureFailed => "CAPTURE_FAILED",
            Kind::WebhookDead => "WEBHOOK_DEAD",
            Kind::EmailFailed => "EMAIL_FAILED",
            Kind::EntitlementFailed => "ENTITLEMENT_FAILED",
            Kind::Alert => "ALERT",
            Kind::ErpUnconfirmed => "ERP_UNCONFIRMED",
            Kind::Other => "OTHER",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// What its subject is (`renewal`, `order` …); `None`: any.
    pub const fn subject_kind(self) -> Option<&'static str> {
        match self {
            Kind::RenewalFailedFinal | Kind::NoPaymentMethod | Kind::PlanRetired => Some("renewal"),
            Kind::PaymentAmountMismatch
            | Kind::DuplicatePayment
            | Kind::PaymentNotSettled
            | Kind::CaptureFailed
            | Kind::EntitlementFailed
            | Kind::ErpUnconfirmed => Some("order"),
            Kind::WebhookDead => Some("delivery"),
            Kind::EmailFailed => Some("email"),
            Kind::Alert => Some("alert"),
            Kind::PaymentWithoutOrder | Kind::Other => None,
        }
    }

    /// Its priority unless the opener says otherwise (an alert's is the alert's).
    pub const fn default_priority(self) -> Priority {
        match self {
            Kind::PaymentAmountMismatch
            | Kind::DuplicatePayment
            | Kind::PaymentWithoutOrder
            | Kind::PaymentNotSettled
            | Kind::CaptureFailed
            | Kind::EntitlementFailed => Priority::High,
            Kind::RenewalFailedFinal
            | Kind::NoPaymentMethod
            | Kind::PlanRetired
            | Kind::Alert
            | Kind::ErpUnconfirmed
            | Kind::Other => Priority::Medium,
            Kind::WebhookDead | Kind::EmailFailed => Priority::Low,
        }
    }
}

/// How soon a person must act (seed 001 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// 30 minutes, red.
    Urgent,
    /// 1 hour, orange.
    High,
    /// 2 hours, yellow.
    Medium,
    /// 24 hours, green.
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::Urgent, Priority::High, Priority::Medium, Priority::Low];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "URGENT",
            Priority::High => "HIGH",
            Priority::Medium => "MEDIUM",
            Priority::Low => "LOW",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == raw)
    }

    /// The response time: a follow-up of this priority is due this long after it opened.
    pub const fn response_time(self) -> Duration {
        match self {
            Priority::Urgent => Duration::minutes(30),
            Priority::High => Duration::hours(1),
            Priority::Medium => Duration::hours(2),
            Priority::Low => Duration::hours(24),
        }
    }

    /// Its colour (seed 001 §5.2), as a hex RGB for Slack attachments and the console.
    pub const fn colour(self) -> &'static str {
        match self {
            Priority::Urgent => "#d0021b",
            Priority::High => "#f5a623",
            Priority::Medium => "#f8e71c",
            Priority::Low => "#7ed321",
        }
    }
}

/// Where a follow-up stands: OPEN → IN_PROGRESS → RESOLVED | DISMISSED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Nobody has taken it.
    Open,
    /// Assigned to someone.
    InProgress,
    /// Done.
    Resolved,
    /// Nothing to do after all.
    Dismissed,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [Status::Open, Status::InProgress, Status::Resolved, Status::Dismissed];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Open => "OPEN",
            Status::InProgress => "IN_PROGRESS",
            Status::Resolved => "RESOLVED",
            Status::Dismissed => "DISMISSED",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether it still needs someone (OPEN or IN_PROGRESS).
    pub const fn is_open(self) -> bool {
        matches!(self, Status::Open | Status::InProgress)
    }
}

/// A follow-up about to be opened.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFollowUp {
    /// What needs doing.
    pub kind: Kind,
    /// What it is about, `kind:key` (`renewal:42`, `order:ORD…`).
    pub subject: String,
    /// Default: the kind's.
    pub priority: Option<Priority>,
    /// One line for the queue.
    pub summary: String,
    /// What the cause knew (amounts, reasons, the delivery's last error …).
    pub detail: serde_json::Value,
}

impl NewFollowUp {
    /// A follow-up of `kind` about `subject` (`renewal:42`), at the kind's priority.
    pub fn new(
        kind: Kind,
        subject: impl Into<String>,
        summary: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        NewFollowUp { kind, subject: subject.into(), priority: None, summary: summary.into(), detail }
    }
}

/// One follow-up.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// Id.
    pub id: i64,
    /// What needs doing.
    pub kind: Kind,
    /// What it is about.
    pub subject: String,
    /// How soon.
    pub priority: Priority,
    /// Where it stands.
    pub status: Status,
    /// One line.
    pub summary: String,
    /// What the cause knew.
    pub detail: serde_json::Value,
    /// Who has it.
    pub assignee: Option<String>,
    /// How it was closed.
    pub resolution: Option<String>,
    /// Opened.
    pub opened_at: DateTime<Utc>,
    /// Opened + the priority's response time.
    pub due_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Resolved or dismissed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl FollowUp {
    /// Open past its due time at `now`.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.status.is_open() && self.due_at < now
    }
}

/// A note on a follow-up (append-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Id.
    pub id: i64,
    /// Who wrote it.
    pub author: String,
    /// What they wrote.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowUpFilter {
    /// Only these statuses (default: the open ones, OPEN and IN_PROGRESS).
    pub statuses: Vec<Status>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only this assignee.
    pub assignee: Option<String>,
    /// Only those past their due time (open ones).
    pub overdue: bool,
}
