//! The jobs by name (SPEC §4's `JobName`), and the one list of the jobs that run on an interval.

use platform_core::settings::{JobSchedule, JobSettings};

/// The jobs the server runs every `jobs.<name>.every_secs` (the others have their own clocks: the daily
/// report and the failed-charges list at a time of day, the alert check, the in-server webhook and grant
/// loops). The scheduler, the job health of the report and `doctor` read this one list.
pub fn interval_jobs(settings: &JobSettings) -> [(JobName, JobSchedule); 6] {
    [
        (JobName::CreateRenewals, settings.create_renewals),
        (JobName::SendNotices, settings.send_notices),
        (JobName::ChargeRenewals, settings.charge_renewals),
        (JobName::RetryRenewals, settings.retry_renewals),
        (JobName::ExpireEntitlements, settings.expire_entitlements),
        (JobName::DispatchEmails, settings.dispatch_emails),
    ]
}

/// The jobs (SPEC §4's `JobName`, plus the R3 grant sweep).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobName {
    /// R7: create the renewals of paid orders of renewable promotions.
    CreateRenewals,
    /// R8: queue the deduct notices that are due.
    SendNotices,
    /// R9: charge the renewals whose deduct date has come.
    ChargeRenewals,
    /// R9: retry the failed renewals whose automatic retry day has come.
    RetryRenewals,
    /// R10: lapse entitlements whose due date has passed, as of a business date.
    ExpireEntitlements,
    /// R3: grant the paid orders of the last seven days that still have lines to grant.
    GrantEntitlements,
    /// R12: fan new events out to webhook endpoints and send what is due, until nothing is due now.
    DispatchWebhooks,
    /// R12: send the queued e-mails over SMTP (when configured).
    DispatchEmails,
    /// R16: the report of the day before, its alerts, posted once.
    DailyReport,
    /// R16: the live alert rules (every 15 minutes).
    AlertCheck,
    /// R17: the open charge failures as CSV to the operators (days of the month from the settings).
    FailedChargesList,
    /// R21: one e-mail per receiver listing what shipped to them (seed 000 task 6), once a day.
    SendShippingNotices,
    /// R23: capture the authorisations of the days before (delayed capture), void those of cancelled orders.
    CapturePayments,
    /// R23: match the day before's settlement of a gateway that can be asked for it with our payments.
    ReconcilePayments,
}

impl JobName {
    /// Every job.
    pub const ALL: [JobName; 14] = [
        JobName::CreateRenewals,
        JobName::SendNotices,
        JobName::ChargeRenewals,
        JobName::RetryRenewals,
        JobName::ExpireEntitlements,
        JobName::GrantEntitlements,
        JobName::DispatchWebhooks,
        JobName::DispatchEmails,
        JobName::DailyReport,
        JobName::AlertCheck,
        JobName::FailedChargesList,
        JobName::SendShippingNotices,
        JobName::CapturePayments,
        JobName::ReconcilePayments,
    ];

    /// The stored and displayed name, as in SPEC §4's `JobName`.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobName::CreateRenewals => "CREATE_RENEWALS",
            JobName::SendNotices => "SEND_NOTICES",
            JobName::ChargeRenewals => "CHARGE_RENEWALS",
            JobName::RetryRenewals => "RETRY_RENEWALS",
            JobName::ExpireEntitlements => "EXPIRE_ENTITLEMENTS",
            JobName::GrantEntitlements => "GRANT_ENTITLEMENTS",
            JobName::DispatchWebhooks => "DISPATCH_WEBHOOKS",
            JobName::DispatchEmails => "DISPATCH_EMAILS",
            JobName::DailyReport => "DAILY_REPORT",
            JobName::AlertCheck => "ALERT_CHECK",
            JobName::FailedChargesList => "FAILED_CHARGES_LIST",
            JobName::SendShippingNotices => "SEND_SHIPPING_NOTICES",
            JobName::CapturePayments => "CAPTURE_PAYMENTS",
            JobName::ReconcilePayments => "RECONCILE_PAYMENTS",
        }
    }

    /// From the stored name, or its kebab-case form (`charge-renewals`).
    pub fn parse(raw: &str) -> Option<JobName> {
        let name = raw.trim().to_ascii_uppercase().replace('-', "_");
        JobName::ALL.into_iter().find(|j| j.as_str() == name)
    }
}
