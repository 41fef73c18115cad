//! The report as people read it: summary lines (Slack, the top of the text form), the text form of
//! `platform report`, and its CSV form (one row per figure).

use crate::Report;
use followups::Priority;

/// NT$ with thousands separators.
fn money(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}NT${out}", if amount < 0 { "-" } else { "" })
}

/// The priority of the report's post: its most urgent alert's, else LOW.
pub fn priority_of(report: &Report) -> Priority {
    report.alerts.iter().map(|a| a.priority).min().unwrap_or(Priority::Low)
}

/// The summary: one line per section.
pub fn summary_lines(r: &Report) -> Vec<String> {
    let f = |name: &str| {
        let figure = r.figure(name);
        format!("{} (avg {:.1})", figure.value, figure.average)
    };
    let rate = r.charge_success_rate.map_or("–".to_owned(), |rate| format!("{rate:.1}%"));
    let reasons: Vec<String> =
        r.charges.failed_by_reason.iter().take(3).map(|(reason, n)| format!("{reason} {n}")).collect();
    let forecast_count: u64 = r.forecast.iter().map(|d| d.renewals).sum();
    let forecast_amount: i64 = r.forecast.iter().map(|d| d.amount).sum();
    let open: Vec<String> = r.follow_ups_open.iter().map(|(p, n)| format!("{p} {n}")).collect();
    let waiting: u64 = r.webhooks.iter().map(|w| w.pending).sum();
    let oldest = r.webhooks.iter().filter_map(|w| w.oldest_pending).min();
    let oldest = oldest
        .map_or(String::new(), |t| format!(", oldest {} min", (r.generated_at - t).num_minutes().max(0)));
    let jobs: Vec<String> = r
        .jobs
        .iter()
        .filter(|j| j.late || j.failed)
        .map(|j| format!("{} {}", j.name, if j.failed { "FAILED" } else { "LATE" }))
        .collect();
    let mut lines = vec![
        format!(
            "Orders 訂單: {} · paid {} · paid total {}",
            f("orders"),
            f("paidOrders"),
            money(r.paid_total)
        ),
        format!(
            "Renewals 續訂單: due {} · charged {} ({}) · failed {} · success {rate}",
            f("renewalsDue"),
            f("charged"),
            money(r.charges.charged_amount),
            f("chargeFailed")
        ),
        format!(
            "Entitlements 權益: granted {} · failed {} · expired {}",
            f("entitlementsGranted"),
            f("entitlementsFailed"),
            f("entitlementsExpired")
        ),
        format!("Forecast next 14 days: {forecast_count} renewals, {}", money(forecast_amount)),
        format!(
            "Follow-ups: opened {} · resolved {} · open {} · overdue {}",
            f("followUpsOpened"),
            f("followUpsResolved"),
            open.join(" / "),
            r.follow_ups_overdue
        ),
        format!(
            "Webhooks: delivered {} · dead {} · waiting {waiting}{oldest}",
            f("webhooksDelivered"),
            f("webhooksDead")
        ),
        format!(
            "E-mails: sent {} · failed {} · queued {}",
            f("emailsSent"),
            f("emailsFailed"),
            r.emails.queued
        ),
    ];
    if !reasons.is_empty() {
        lines.insert(2, format!("Declines: {}", reasons.join(", ")));
    }
    lines.push(match &r.reconciliation {
        Some(c) => format!(
            "Reconciliation 對帳: {} settled · {} matched · {} without order · {} not settled · {} amounts differ",
            c.transactions, c.matched, c.stray, c.missing, c.mismatched
        ),
        None => "Reconciliation 對帳: not run for the day".to_owned(),
    });
    lines.push(if jobs.is_empty() {
        "Jobs: all on time".to_owned()
    } else {
        format!("Jobs: {}", jobs.join(", "))
    });
    for alert in &r.alerts {
        lines.push(format!("ALERT [{}] {}", alert.priority.as_str(), alert.title));
    }
    lines
}

/// The text form: the summary, then the details.
pub fn text(r: &Report) -> String {
    let mut out = format!(
        "Daily report 日報 {} (generated {})\n\n",
        r.date,
        r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    for line in summary_lines(r) {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str("\nOrders by source and payment status:\n");
    for o in &r.orders {
        out.push_str(&format!(
            "  {:<13} {:<8} {:>6}  {:>14}\n",
            o.source,
            o.payment_status,
            o.orders,
            money(o.amount)
        ));
    }
    out.push_str("\nCash forecast:\n");
    for d in &r.forecast {
        out.push_str(&format!("  {}  {:>6} renewals  {:>14}\n", d.date, d.renewals, money(d.amount)));
    }
    out.push_str("\nWebhook endpoints:\n");
    for w in &r.webhooks {
        out.push_str(&format!(
            "  #{:<4} delivered {:>6} failed {:>4} dead {:>4} waiting {:>5}  {}\n",
            w.endpoint_id, w.delivered, w.failed, w.dead, w.pending, w.url
        ));
    }
    out.push_str("\nJobs:\n");
    for j in &r.jobs {
        let last =
            j.last_ok_at.map_or("never".to_owned(), |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let state = if j.failed {
            "FAILED"
        } else if j.late {
            "LATE"
        } else {
            "ok"
        };
        out.push_str(&format!("  {:<22} every {:>6} s  last ok {last}  {state}\n", j.name, j.every_secs));
    }
    if !r.open_alerts.is_empty() {
        out.push_str("\nOpen alerts:\n");
        for a in &r.open_alerts {
            out.push_str(&format!(
                "  [{}] {} since {}\n",
                a.priority,
                a.message,
                a.raised_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
    }
    out
}

/// The CSV form: `section,name,value,average` rows.
pub fn csv(r: &Report) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["section", "name", "value", "average"])?;
    for (name, figure) in &r.counts {
        w.write_record(["count", name, &figure.value.to_string(), &format!("{:.2}", figure.average)])?;
    }
    w.write_record(["amount", "paidTotal", &r.paid_total.to_string(), ""])?;
    w.write_record(["amount", "charged", &r.charges.charged_amount.to_string(), ""])?;
    let rate = r.charge_success_rate.map_or(String::new(), |rate| format!("{rate:.2}"));
    w.write_record(["rate", "chargeSuccessPct", &rate, ""])?;
    for (reason, n) in &r.charges.failed_by_reason {
        w.write_record(["declines", reason, &n.to_string(), ""])?;
    }
    for o in &r.orders {
        w.write_record(["orders", &format!("{}/{}", o.source, o.payment_status), &o.orders.to_string(), ""])?;
        w.write_record([
            "orderAmount",
            &format!("{}/{}", o.source, o.payment_status),
            &o.amount.to_string(),
            "",
        ])?;
    }
    for d in &r.forecast {
        w.write_record(["forecast", &d.date.to_string(), &d.renewals.to_string(), ""])?;
        w.write_record(["forecastAmount", &d.date.to_string(), &d.amount.to_string(), ""])?;
    }
    for (priority, n) in &r.follow_ups_open {
        w.write_record(["followUpsOpen", priority, &n.to_string(), ""])?;
    }
    w.write_record(["followUpsOpen", "overdue", &r.follow_ups_overdue.to_string(), ""])?;
    if let Some(c) = &r.reconciliation {
        for (name, n) in [
            ("transactions", c.transactions),
            ("matched", c.matched),
            ("stray", c.stray),
            ("missing", c.missing),
            ("mismatched", c.mismatched),
        ] {
            w.write_record(["reconciliation", name, &n.to_string(), ""])?;
        }
    }
    for j in &r.jobs {
        let state = if j.failed {
            "FAILED"
        } else if j.late {
            "LATE"
        } else {
            "OK"
        };
        w.write_record(["job", &j.name, state, ""])?;
    }
    for a in &r.alerts {
        w.write_record(["alert", &a.rule, a.priority.as_str(), ""])?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_read_as_nt_dollars() {
        assert_eq!(super::money(0), "NT$0");
        assert_eq!(super::money(3480), "NT$3,480");
        assert_eq!(super::money(1_234_567), "NT$1,234,567");
        assert_eq!(super::money(-480), "-NT$480");
    }
}
