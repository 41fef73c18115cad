//! The alert rules of R16, pure: figures and thresholds in, the alerts that fire out. Which rules a check
//! evaluates depends on its scope: the daily report judges a finished day, the 15-minute check the
//! state now.

use crate::report::{Figure, JobHealth};
use followups::Priority;
use platform_core::settings::AlertThresholds;
use serde::Serialize;

/// What a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A finished business day (`DAILY_REPORT`): its charge success rate, its order volume against the
    /// four previous same weekdays, its follow-up rate, its dead deliveries and failed e-mails.
    Daily,
    /// Now (`ALERT_CHECK`): today's charge success so far, the webhook backlog, every job.
    Live,
}

/// A rule that fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The rule, with what it is about (`JOB_LATE:CHARGE_RENEWALS`): one episode at a time per rule.
    pub rule: String,
    /// How soon someone must look.
    #[serde(serialize_with = "priority_name")]
    pub priority: Priority,
    /// One line.
    pub title: String,
    /// The figures behind it.
    pub lines: Vec<String>,
}

fn priority_name<S: serde::Serializer>(priority: &Priority, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(priority.as_str())
}

/// What the rules look at.
#[derive(Debug, Clone, Default)]
pub struct RuleInput {
    /// Charge attempts approved in the period.
    pub charged: u64,
    /// Charge attempts declined in the period.
    pub failed: u64,
    /// The period's orders and the average of the four previous same weekdays.
    pub orders: Figure,
    /// Follow-ups opened in the period.
    pub follow_ups_opened: u64,
    /// Age in minutes of the oldest waiting webhook delivery, if any waits.
    pub oldest_waiting_minutes: Option<i64>,
    /// Deliveries given up in the period.
    pub dead_deliveries: u64,
    /// E-mails given up in the period.
    pub failed_emails: u64,
    /// Every scheduled job.
    pub jobs: Vec<JobHealth>,
}

/// The rules `scope` evaluates (an open episode of one of them that does not fire is resolved), and
/// those that fire.
pub fn evaluate(scope: Scope, input: &RuleInput, t: &AlertThresholds) -> (Vec<String>, Vec<Alert>) {
    let mut evaluated = Vec::new();
    let mut fired = Vec::new();
    let mut rule = |key: String, alert: Option<(Priority, String, Vec<String>)>| {
        if let Some((priority, title, lines)) = alert {
            fired.push(Alert { rule: key.clone(), priority, title, lines });
        }
        evaluated.push(key);
    };
    let charge_key = if scope == Scope::Daily { "CHARGE_SUCCESS_DAY" } else { "CHARGE_SUCCESS" };
    rule(charge_key.to_owned(), charge_success(input, t));
    match scope {
        Scope::Daily => {
            rule("ORDER_VOLUME".to_owned(), order_volume(input, t));
            rule("FOLLOW_UP_RATE".to_owned(), follow_up_rate(input, t));
            rule("DELIVERY_FAILURES".to_owned(), delivery_failures(input));
        }
        Scope::Live => {
            rule("WEBHOOK_BACKLOG".to_owned(), webhook_backlog(input, t));
            for job in &input.jobs {
                rule(format!("JOB:{}", job.name), job_health(job));
            }
        }
    }
    (evaluated, fired)
}

/// The charge success rate in percent: charged ÷ (charged + failed); `None` without attempts.
pub fn success_rate(charged: u64, failed: u64) -> Option<f64> {
    let attempts = charged + failed;
    (attempts > 0).then(|| charged as f64 * 100.0 / attempts as f64)
}

fn charge_success(input: &RuleInput, t: &AlertThresholds) -> Option<(Priority, String, Vec<String>)> {
    let attempts = input.charged + input.failed;
    let rate = success_rate(input.charged, input.failed)?;
    (attempts >= t.min_charge_attempts && rate < f64::from(t.min_charge_success_pct)).then(|| {
        (
            Priority::High,
            format!("Charge success rate {rate:.1}% (below {}%)", t.min_charge_success_pct),
            vec![format!("{} charged, {} declined of {attempts} attempts", input.charged, input.failed)],
        )
    })
}

fn order_volume(input: &RuleInput, t: &AlertThresholds) -> Option<(Priority, String, Vec<String>)> {
    let Figure { value, average } = input.orders;
    if average <= 0.0 {
        return None;
    }
    let pct = value as f64 * 100.0 / average;
    let (low, high) = (f64::from(t.orders_low_pct), f64::from(t.orders_high_pct));
    (pct < low || pct > high).then(|| {
        let which = if pct < low { "low" } else { "high" };
        (
            Priority::Medium,
            format!("Orders unusually {which}: {value} ({pct:.0}% of the usual {average:.1})"),
            vec![format!("the average of the four previous same weekdays is {average:.1}; alert below {low}% or above {high}%")],
        )
    })
}

fn follow_up_rate(input: &RuleInput, t: &AlertThresholds) -> Option<(Priority, String, Vec<String>)> {
    let (opened, orders) = (input.follow_ups_opened, input.orders.value);
    (opened > 0 && opened * 100 > u64::from(t.max_follow_up_pct) * orders).then(|| {
        (
            Priority::Medium,
            format!("{opened} follow-ups opened for {orders} orders (more than {}%)", t.max_follow_up_pct),
            vec!["see followUps for what needs a person".to_owned()],
        )
    })
}

fn webhook_backlog(input: &RuleInput, t: &AlertThresholds) -> Option<(Priority, String, Vec<String>)> {
    let age = input.oldest_waiting_minutes?;
    (age > i64::from(t.max_webhook_age_minutes)).then(|| {
        (
            Priority::High,
            format!(
                "The oldest waiting webhook delivery is {age} minutes old (over {})",
                t.max_webhook_age_minutes
            ),
            vec!["a receiver is down or the dispatcher is not running; see webhookDeliveries".to_owned()],
        )
    })
}

fn delivery_failures(input: &RuleInput) -> Option<(Priority, String, Vec<String>)> {
    let (dead, failed) = (input.dead_deliveries, input.failed_emails);
    (dead + failed > 0).then(|| {
        (
            Priority::Low,
            format!("{dead} webhook deliveries given up, {failed} e-mails not sent"),
            vec!["each has a follow-up (WEBHOOK_DEAD, EMAIL_FAILED)".to_owned()],
        )
    })
}

fn job_health(job: &JobHealth) -> Option<(Priority, String, Vec<String>)> {
    if job.failed {
        let error = job.last_error.clone().unwrap_or_default();
        return Some((Priority::High, format!("Job {} failed", job.name), vec![error]));
    }
    job.late.then(|| {
        let last = job
            .last_ok_at
            .map_or("never".to_owned(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        (
            Priority::High,
            format!("Job {} is late", job.name),
            vec![format!(
                "no successful run within twice its interval of {} s; last: {last}",
                job.every_secs
            )],
        )
    })
}

/// What a check changes: the alerts to raise (their rule has no open episode) and the open episodes to
/// resolve (evaluated, and no longer firing).
pub fn episodes<'a>(
    open: &[String],
    evaluated: &[String],
    fired: &'a [Alert],
) -> (Vec<&'a Alert>, Vec<String>) {
    let raise = fired.iter().filter(|a| !open.contains(&a.rule)).collect();
    let resolve = open
        .iter()
        .filter(|rule| evaluated.contains(rule) && !fired.iter().any(|a| &a.rule == *rule))
        .cloned()
        .collect();
    (raise, resolve)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, late: bool, failed: bool) -> JobHealth {
        JobHealth { name: name.to_owned(), every_secs: 3600, late, failed, ..JobHealth::default() }
    }

    fn fired(scope: Scope, input: &RuleInput) -> Vec<(String, Priority)> {
        evaluate(scope, input, &AlertThresholds::default())
            .1
            .into_iter()
            .map(|a| (a.rule, a.priority))
            .collect()
    }

    #[test]
    fn r16_each_alert_rule_fires_at_its_threshold() {
        let orders = |value, average| Figure { value, average };
        let base = RuleInput { orders: orders(100, 100.0), ..RuleInput::default() };
        type Case = (&'static str, Scope, RuleInput, Vec<(&'static str, Priority)>);
        let cases: Vec<Case> = vec![
            ("a quiet day", Scope::Daily, base.clone(), vec![]),
            (
                "89 % of 100 attempts",
                Scope::Daily,
                RuleInput { charged: 89, failed: 11, ..base.clone() },
                vec![("CHARGE_SUCCESS_DAY", Priority::High)],
            ),
            ("90 % exactly", Scope::Daily, RuleInput { charged: 90, failed: 10, ..base.clone() }, vec![]),
            (
                "too few attempts to judge",
                Scope::Live,
                RuleInput { charged: 1, failed: 8, ..base.clone() },
                vec![],
            ),
            (
                "live: 50 % of 10",
                Scope::Live,
                RuleInput { charged: 5, failed: 5, ..base.clone() },
                vec![("CHARGE_SUCCESS", Priority::High)],
            ),
            (
                "orders at 49 %",
                Scope::Daily,
                RuleInput { orders: orders(49, 100.0), ..base.clone() },
                vec![("ORDER_VOLUME", Priority::Medium)],
            ),
            ("orders at 50 %", Scope::Daily, RuleInput { orders: orders(50, 100.0), ..base.clone() }, vec![]),
            (
                "orders at 201 %",
                Scope::Daily,
                RuleInput { orders: orders(201, 100.0), ..base.clone() },
                vec![("ORDER_VOLUME", Priority::Medium)],
            ),
            ("no history", Scope::Daily, RuleInput { orders: orders(3, 0.0), ..base.clone() }, vec![]),
            (
                "orders are daily only",
                Scope::Live,
                RuleInput { orders: orders(1, 100.0), ..base.clone() },
                vec![],
            ),
            (
                "11 follow-ups for 100 orders",
                Scope::Daily,
                RuleInput { follow_ups_opened: 11, ..base.clone() },
                vec![("FOLLOW_UP_RATE", Priority::Medium)],
            ),
            (
                "10 follow-ups for 100 orders",
                Scope::Daily,
                RuleInput { follow_ups_opened: 10, ..base.clone() },
                vec![],
            ),
            (
                "webhook backlog 31 min",
                Scope::Live,
                RuleInput { oldest_waiting_minutes: Some(31), ..base.clone() },
                vec![("WEBHOOK_BACKLOG", Priority::High)],
            ),
            (
                "webhook backlog 30 min",
                Scope::Live,
                RuleInput { oldest_waiting_minutes: Some(30), ..base.clone() },
                vec![],
            ),
            (
                "a dead delivery",
                Scope::Daily,
                RuleInput { dead_deliveries: 1, ..base.clone() },
                vec![("DELIVERY_FAILURES", Priority::Low)],
            ),
            (
                "a failed e-mail",
                Scope::Daily,
                RuleInput { failed_emails: 1, ..base.clone() },
                vec![("DELIVERY_FAILURES", Priority::Low)],
            ),
            (
                "a late job and a failed one",
                Scope::Live,
                RuleInput {
                    jobs: vec![
                        job("CHARGE_RENEWALS", true, false),
                        job("SEND_NOTICES", false, true),
                        job("EXPIRE_ENTITLEMENTS", false, false),
                    ],
                    ..base.clone()
                },
                vec![("JOB:CHARGE_RENEWALS", Priority::High), ("JOB:SEND_NOTICES", Priority::High)],
            ),
        ];
        for (what, scope, input, expected) in cases {
            let expected: Vec<(String, Priority)> =
                expected.into_iter().map(|(r, p)| (r.to_owned(), p)).collect();
            assert_eq!(fired(scope, &input), expected, "{what}");
        }
    }

    #[test]
    fn r16_an_episode_is_raised_once_and_resolved_once() {
        let alert = |rule: &str| Alert {
            rule: rule.to_owned(),
            priority: Priority::High,
            title: String::new(),
            lines: vec![],
        };
        let s = |v: &[&str]| v.iter().map(|r| (*r).to_owned()).collect::<Vec<_>>();
        let evaluated = s(&["CHARGE_SUCCESS", "WEBHOOK_BACKLOG"]);
        // Fires while nothing is open: raised.
        let fired = [alert("CHARGE_SUCCESS")];
        let (raise, resolve) = episodes(&[], &evaluated, &fired);
        assert_eq!((raise.len(), resolve.len()), (1, 0));
        // Still firing: nothing again.
        let (raise, resolve) = episodes(&s(&["CHARGE_SUCCESS"]), &evaluated, &fired);
        assert_eq!((raise.len(), resolve.len()), (0, 0));
        // Cleared: resolved once; an open episode of a rule this check does not evaluate stays open.
        let (raise, resolve) = episodes(&s(&["CHARGE_SUCCESS", "ORDER_VOLUME"]), &evaluated, &[]);
        assert_eq!((raise.len(), resolve), (0, s(&["CHARGE_SUCCESS"])));
    }
}
