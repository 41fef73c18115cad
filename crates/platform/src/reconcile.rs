//! `platform reconcile` (R23): reads a gateway's settlement file — or asks the gateway — and prints the
//! day's reconciliation report ([`orders::reconcile`] does the matching and keeps it).

use crate::database;
use orders::reconcile::{self, MAX_SETTLEMENT_ROWS, Report, SettlementRow, Source};
use payments::PaymentGateway;
use platform_core::{Clock, Money, Settings};
use serde_json::json;
use std::path::Path;

/// Most characters of a transaction id (as our payments hold them).
const MAX_TRANSACTION_ID: usize = 128;
/// Most line errors printed before giving up.
const MAX_ERRORS: usize = 20;

/// Reconciles `date` (default yesterday) from `settlement` or the gateway; the report in `format`.
pub async fn run(
    settings: &Settings,
    date: Option<chrono::NaiveDate>,
    settlement: Option<&Path>,
    format: &str,
) -> anyhow::Result<String> {
    let calendar = platform_core::BusinessCalendar::from(settings);
    let now = Clock::System.now();
    let today = calendar.date_of(now);
    let date = date.unwrap_or_else(|| today.pred_opt().unwrap_or(today));
    ops::report::check_date(date, today).map_err(|message| anyhow::anyhow!("--{message}"))?;
    let bounds = (calendar.start_of(date), calendar.start_of(date.succ_opt().unwrap_or(date)));
    let db = database::open_migrated(settings).await?;
    let (source, rows) = match settlement {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("--settlement {}: {e}", path.display()))?;
            (Source::File, parse_settlement(file)?)
        }
        None => {
            let gateway = payments::Gateway::from_settings(db.clone(), &settings.gateway)
                .map_err(anyhow::Error::msg)?;
            let Some(settled) = gateway.settlement(bounds.0, bounds.1).await? else {
                anyhow::bail!(
                    "the {} gateway cannot be asked for its settlement: pass its file with --settlement",
                    settings.gateway.kind
                );
            };
            (Source::Gateway, settled.into_iter().map(Into::into).collect())
        }
    };
    let report = reconcile::reconcile(&db, date, bounds, source, rows, now).await?;
    Ok(match format {
        "json" => format!("{}\n", serde_json::to_string_pretty(&to_json(&report))?),
        _ => text(&report),
    })
}

/// The rows of a settlement CSV (header on line 1, names case aside): `transaction_id` and `amount`, or
/// ECPay's `MerchantTradeNo`, `TradeNo` and `TradeAmt` (our transaction id is `MerchantTradeNo:TradeNo`).
/// Every line is checked; any error refuses the whole file (nothing is reconciled), naming the lines.
pub fn parse_settlement(input: impl std::io::Read) -> anyhow::Result<Vec<SettlementRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(input);
    let headers: Vec<String> =
        reader.headers()?.iter().map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    enum Id {
        Ours(usize),
        Ecpay(usize, usize),
    }
    let id = match (column("transaction_id"), column("merchanttradeno"), column("tradeno")) {
        (Some(i), _, _) => Id::Ours(i),
        (None, Some(m), Some(t)) => Id::Ecpay(m, t),
        _ => anyhow::bail!("the settlement has no transaction_id column (nor MerchantTradeNo and TradeNo)"),
    };
    let amount = column("amount")
        .or_else(|| column("tradeamt"))
        .ok_or_else(|| anyhow::anyhow!("the settlement has no amount (or TradeAmt) column"))?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                errors.push(format!("line {line}: {err}"));
                break;
            }
        };
        if rows.len() >= MAX_SETTLEMENT_ROWS {
            anyhow::bail!("the settlement has more than {MAX_SETTLEMENT_ROWS} rows");
        }
        let field = |i: usize| record.get(i).unwrap_or("");
        let transaction_id = match id {
            Id::Ours(i) => field(i).to_owned(),
            Id::Ecpay(m, t) => payments::ecpay::transaction_id(field(m), field(t)),
        };
        let checked = check_row(&transaction_id, field(amount));
        match checked {
            Ok(amount) => rows.push(SettlementRow { transaction_id, amount }),
            Err(message) => errors.push(format!("line {line}: {message}")),
        }
        if errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if !errors.is_empty() {
        anyhow::bail!("the settlement is refused, nothing was reconciled:\n  {}", errors.join("\n  "));
    }
    Ok(rows)
}

fn check_row(transaction_id: &str, amount: &str) -> Result<Money, String> {
    if transaction_id.is_empty()
        || transaction_id.chars().count() > MAX_TRANSACTION_ID
        || transaction_id.chars().any(char::is_control)
        || transaction_id == ":"
    {
        return Err(format!("the transaction id must be 1-{MAX_TRANSACTION_ID} printable characters"));
    }
    let value: i64 = amount.parse().map_err(|_| format!("amount {amount:?} is not a whole number of TWD"))?;
    if value < 0 {
        return Err(format!("amount {value} is negative"));
    }
    Money::bounded(value).map_err(|e| format!("amount {value}: {e}"))
}

fn text(report: &Report) -> String {
    let mut out = format!(
        "Reconciliation of {} ({}): {} transaction(s), {} matched; {} stray, {} missing, {} mismatched; \
         settled {} TWD, captured {} TWD; {} follow-up(s) opened\n",
        report.date,
        report.source.as_str(),
        report.transactions,
        report.matched,
        report.stray,
        report.missing,
        report.mismatched,
        report.settled_amount.amount(),
        report.paid_amount.amount(),
        report.opened
    );
    for item in &report.items {
        let amount = |m: Option<Money>| m.map_or("-".to_owned(), |m| m.amount().to_string());
        out.push_str(&format!(
            "{:<9} {}  order {}  captured {}  settled {}\n",
            item.finding.as_str(),
            item.transaction_id,
            item.order_no.as_deref().unwrap_or("-"),
            amount(item.expected),
            amount(item.settled)
        ));
    }
    out
}

fn to_json(report: &Report) -> serde_json::Value {
    let items: Vec<serde_json::Value> = report
        .items
        .iter()
        .map(|i| {
            json!({ "finding": i.finding.as_str(), "transactionId": i.transaction_id, "orderNo": i.order_no,
                    "captured": i.expected.map(|m| m.amount()), "settled": i.settled.map(|m| m.amount()) })
        })
        .collect();
    json!({ "date": report.date, "source": report.source.as_str(), "transactions": report.transactions,
            "matched": report.matched, "stray": report.stray, "missing": report.missing,
            "mismatched": report.mismatched, "settledAmount": report.settled_amount.amount(),
            "capturedAmount": report.paid_amount.amount(), "followUpsOpened": report.opened,
            "items": items, "runAt": report.run_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_a_settlement_file_reads_ours_or_ecpay_columns_and_refuses_bad_lines_whole() {
        let ours = parse_settlement("Transaction_ID,Amount\nsim_a,3480\n sim_b , 120 \n".as_bytes())
            .unwrap_or_default();
        assert_eq!(
            ours,
            vec![
                SettlementRow { transaction_id: "sim_a".into(), amount: Money::new(3480) },
                SettlementRow { transaction_id: "sim_b".into(), amount: Money::new(120) },
            ]
        );
        let ecpay = parse_settlement("MerchantTradeNo,TradeNo,TradeAmt\nSABC,2512,990\n".as_bytes())
            .unwrap_or_default();
        assert_eq!(
            ecpay,
            vec![SettlementRow { transaction_id: "SABC:2512".into(), amount: Money::new(990) }]
        );
        let bad =
            parse_settlement("transaction_id,amount\nsim_a,3480\n,10\nsim_c,-5\nsim_d,1.5\n".as_bytes());
        let message = bad.err().map(|e| e.to_string()).unwrap_or_default();
        for line in ["line 3", "line 4", "line 5"] {
            assert!(message.contains(line), "{message}");
        }
        assert!(!message.contains("line 2"), "{message}");
        assert!(parse_settlement("id,amount\nx,1\n".as_bytes()).is_err(), "no transaction column");
    }
}
