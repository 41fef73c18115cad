//! `subscription-changes`: the evening's spreadsheet of seed 000 (tasks 7–10) — `customerNo` or `account`,
//! `action` (SKIP | RESUME | SUSPEND | CANCEL), `product` or `renewal`, `from`, `count`, `reason`. Each row
//! goes through [`aftersale::changes::apply_batch`] — the mutations' own rules, events and e-mails — in the
//! batch's transaction (skips and cancellations together, suspensions and resumes each in a savepoint); a
//! refused row leaves the others standing, a change applied before (same key) reports as unchanged.

use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use aftersale::changes::{Action, Applied, SubscriptionChange, apply_batch};
use sea_orm::DatabaseConnection;

pub(crate) struct SubscriptionChanges;

impl crate::Keyed for SubscriptionChange {
    fn keys(&self) -> Vec<String> {
        // One change per subscriber in a batch: a subscriber's changes apply in file order.
        let mut keys = Vec::new();
        if let Some(id) = self.renewal_id {
            keys.push(format!("renewal:{id}"));
        }
        if let Some(no) = &self.customer_no {
            keys.push(format!("customer:{no}"));
        }
        if let Some(account) = &self.account {
            keys.push(format!("member:{account}"));
        }
        keys
    }
}

const COLUMNS: &[Column] = &[
    optional("customerNo"),
    optional("account"),
    required("action"),
    optional("product"),
    optional("renewal"),
    optional("from"),
    optional("count"),
    optional("reason"),
];

impl Loader for SubscriptionChanges {
    type Row = SubscriptionChange;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        _options: &Options,
    ) -> Result<Parsed<SubscriptionChange>, String> {
        let get = |column| header.get(record, column);
        let action = get("action").unwrap_or_default();
        let action = Action::parse(action)
            .ok_or_else(|| format!("action: {action:?} is not SKIP, RESUME, SUSPEND or CANCEL"))?;
        let customer_no = get("customerNo")
            .map(|raw| members::validate::customer_no("customerNo", raw))
            .transpose()
            .map_err(|e| e.to_string())?;
        let account = get("account")
            .map(|raw| members::Account::parse(raw).map_err(|e| format!("account: {e}")))
            .transpose()?;
        let renewal_id =
            get("renewal").map(|raw| parse::int("renewal", raw)).transpose()?.map(platform_core::RenewalId);
        let count = get("count")
            .map(|raw| {
                parse::int("count", raw)
                    .and_then(|n| i32::try_from(n).map_err(|_| "count: out of range".to_owned()))
            })
            .transpose()?;
        if customer_no.is_none() && account.is_none() && renewal_id.is_none() {
            return Err("give customerNo, account or renewal".into());
        }
        Ok(Parsed::one(SubscriptionChange {
            customer_no,
            account,
            action,
            product_code: get("product").map(|v| parse::text("product", v, 16)).transpose()?,
            renewal_id,
            from: get("from").map(|v| parse::text("from", v, 32)).transpose()?,
            count,
            reason: get("reason").map(|v| parse::text("reason", v, 500)).transpose()?,
        }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, SubscriptionChange)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        // The changes take effect on the import's business day (`--as-of`, default today).
        let at = if options.calendar.date_of(options.at) == options.as_of {
            options.at
        } else {
            options.calendar.start_of(options.as_of) + chrono::Duration::hours(12)
        };
        let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
        let (lines, rows): (Vec<u64>, Vec<SubscriptionChange>) = batch.into_iter().unzip();
        let answers = apply_batch(&txn, options.calendar, &options.renewal_settings, &rows, at)
            .await
            .map_err(anyhow::Error::new)?;
        let mut outcome = Outcome::default();
        for (line, answer) in lines.into_iter().zip(answers) {
            match answer {
                Ok(Applied::Applied) => outcome.inserted += 1,
                Ok(Applied::Before) => outcome.unchanged += 1,
                Err(err) => outcome.rejects.push((line, err.to_string())),
            }
        }
        super::finish(txn, options.dry_run).await?;
        Ok(outcome)
    }
}
