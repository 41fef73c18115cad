//! Period entitlements from a legacy system (R14/R21 `digital-entitlements`: the TradeVan SUBSCRIPTORDL
//! 全閱讀 subscribers): a member's due date, its status backfilled against the cut-over day (CURRENT when
//! the term ends on or after it, LAPSED before), an IMPORT ledger row for each change. A stored term that
//! reaches as far is kept (an import never moves an entitlement backwards), so a re-run changes nothing.

use crate::entity::{entitlement, grant};
use crate::grant::{Holder, empty_row, holder_key_columns};
use crate::{EntitlementsError, SubscribeStatus};
use catalog::ProductKind;
use chrono::{DateTime, NaiveDate, Utc};
use members::Account;
use platform_core::MemberId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

/// One imported period term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodImport {
    /// The member holding it.
    pub account: Account,
    /// A PERIOD product (KCW).
    pub product_code: String,
    /// The last day covered.
    pub due: NaiveDate,
    /// Where it came from (the ledger row's reason), e.g. `digital-entitlements line 3`.
    pub source: String,
}

/// Rows per statement: three values a row stays far under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 2000;

/// Writes `terms` in the caller's transaction `txn` as of cut-over day `as_of`: `Ok(true)` written, `Ok(false)`
/// kept (a stored term reaches as far), `Err` that term refused (an unknown member, not a PERIOD product).
/// Set-based whatever the number of terms (no two of one member and product): the missing entitlement rows
/// created, all of them read and locked at once, the changed ones updated and their ledger rows inserted
/// with a few multi-row statements.
pub async fn import_periods(
    txn: &impl ConnectionTrait,
    terms: &[PeriodImport],
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<Vec<Result<bool, EntitlementsError>>, EntitlementsError> {
    let accounts: Vec<Account> = terms.iter().map(|t| t.account.clone()).collect();
    let (_, member_ids) = members::service::ids_of(txn, &[], &accounts).await?;
    let mut period: HashMap<String, bool> = HashMap::new();
    for term in terms {
        if !period.contains_key(&term.product_code) {
            let product = catalog::service::find_product(txn, &term.product_code).await?;
            period.insert(term.product_code.clone(), product.is_some_and(|p| p.kind == ProductKind::Period));
        }
    }
    // Each term's member, or why it is refused.
    let holders: Vec<Result<MemberId, EntitlementsError>> = terms
        .iter()
        .map(|term| {
            let member_id =
                member_ids.get(&term.account).copied().ok_or_else(|| EntitlementsError::NotFound {
                    field: "account",
                    message: format!("no member {} (import member-profiles first)", term.account),
                })?;
            if !period.get(&term.product_code).copied().unwrap_or(false) {
                return Err(EntitlementsError::Invalid {
                    field: "productCode",
                    message: format!("{} is not a PERIOD product of the catalog", term.product_code),
                });
            }
            Ok(member_id)
        })
        .collect();
    let wanted: Vec<(MemberId, &str)> = terms
        .iter()
        .zip(&holders)
        .filter_map(|(term, holder)| holder.as_ref().ok().map(|id| (*id, term.product_code.as_str())))
        .collect();
    let stored = locked_rows(txn, &wanted, at).await?;
    let mut answers = Vec::with_capacity(terms.len());
    let mut changes: Vec<(i64, NaiveDate, i16)> = Vec::new();
    let mut ledger = Vec::new();
    for (term, holder) in terms.iter().zip(holders) {
        let member_id = match holder {
            Ok(id) => id,
            Err(err) => {
                answers.push(Err(err));
                continue;
            }
        };
        let row = stored
            .get(&(member_id, term.product_code.clone()))
            .ok_or_else(|| anyhow::anyhow!("entitlement of member {member_id} vanished"))?;
        if row.right_due_date.is_some_and(|due| due >= term.due) {
            answers.push(Ok(false));
            continue;
        }
        let status = if term.due >= as_of { SubscribeStatus::Current } else { SubscribeStatus::Lapsed };
        changes.push((row.id, term.due, i16::from(status.code())));
        ledger.push(grant::ActiveModel {
            entitlement_id: Set(Some(row.id)),
            kind: Set("IMPORT".to_owned()),
            outcome: Set("GRANTED".to_owned()),
            reason: Set(Some(term.source.clone())),
            right_due_date: Set(Some(term.due)),
            seniority_thousandths: Set(0),
            granted_at: Set(at),
            ..Default::default()
        });
        answers.push(Ok(true));
    }
    for chunk in changes.chunks(CHUNK) {
        update_terms(txn, chunk, at).await?;
    }
    for chunk in ledger.chunks(CHUNK) {
        grant::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(answers)
}

/// The entitlement rows of `wanted` (member, product), created empty where missing, locked for the rest of
/// the transaction on PostgreSQL, by (member, product).
async fn locked_rows(
    txn: &impl ConnectionTrait,
    wanted: &[(MemberId, &str)],
    at: DateTime<Utc>,
) -> Result<HashMap<(MemberId, String), entitlement::Model>, EntitlementsError> {
    let mut rows = HashMap::with_capacity(wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let fresh = chunk.iter().map(|(member, code)| empty_row(Holder::Member(*member), code, at));
        entitlement::Entity::insert_many(fresh)
            .on_conflict(
                OnConflict::columns(holder_key_columns(Holder::Member(MemberId(0)))).do_nothing().to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        let members: Vec<MemberId> = chunk.iter().map(|(member, _)| *member).collect();
        let codes: Vec<&str> = chunk.iter().map(|(_, code)| *code).collect();
        let found = entitlement::Entity::find()
            .filter(entitlement::Column::HolderMemberId.is_in(members))
            .filter(entitlement::Column::ProductCode.is_in(codes))
            .lock_exclusive()
            .all(txn)
            .await?;
        for row in found {
            if let Some(member) = row.holder_member_id {
                rows.insert((member, row.product_code.clone()), row);
            }
        }
    }
    Ok(rows)
}

/// Sets each (entitlement id, due date, status) of `changes` with one statement.
async fn update_terms(
    txn: &impl ConnectionTrait,
    changes: &[(i64, NaiveDate, i16)],
    at: DateTime<Utc>,
) -> Result<(), EntitlementsError> {
    let mut values: Vec<sea_orm::Value> = vec![at.into()];
    let mut rows = Vec::with_capacity(changes.len());
    for (id, due, status) in changes {
        let n = values.len();
        rows.push(format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
        values.extend([(*id).into(), (*due).into(), (*status).into()]);
    }
    let sql = format!(
        "WITH v(id, due, status) AS (VALUES {}) UPDATE entitlements SET right_due_date = v.due, \
         subscribe_status = v.status, updated_at = $1 FROM v WHERE entitlements.id = v.id",
        rows.join(", ")
    );
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(txn.get_database_backend(), sql, values)).await?;
    Ok(())
}
