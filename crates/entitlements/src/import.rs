//! Period entitlements from a legacy system (R14/R21 `digital-entitlements`: the TradeVan SUBSCRIPTORDL
//! 全閱讀 subscribers): a member's due date, its status backfilled against the cut-over day (CURRENT when
//! the term ends on or after it, LAPSED before), an IMPORT ledger row for each change. A stored term that
//! reaches as far is kept (an import never moves an entitlement backwards), so a re-run changes nothing.

use crate::entity::{entitlement, grant};
use crate::grant::{Holder, locked_entitlement};
use crate::{EntitlementsError, SubscribeStatus};
use catalog::ProductKind;
use chrono::{DateTime, NaiveDate, Utc};
use members::Account;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
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

/// Writes `terms` in the caller's transaction `txn` as of cut-over day `as_of`: `Ok(true)` written, `Ok(false)`
/// kept (a stored term reaches as far), `Err` that term refused (an unknown member, not a PERIOD product).
pub async fn import_periods(
    txn: &impl ConnectionTrait,
    terms: &[PeriodImport],
    as_of: NaiveDate,
    at: DateTime<Utc>,
) -> Result<Vec<Result<bool, EntitlementsError>>, EntitlementsError> {
    let accounts: Vec<Account> = terms.iter().map(|t| t.account.clone()).collect();
    let (_, member_ids) = members::service::ids_of(txn, &[], &accounts).await?;
    let mut period: HashMap<String, bool> = HashMap::new();
    let mut answers = Vec::with_capacity(terms.len());
    for term in terms {
        if !period.contains_key(&term.product_code) {
            let product = catalog::service::find_product(txn, &term.product_code).await?;
            period.insert(term.product_code.clone(), product.is_some_and(|p| p.kind == ProductKind::Period));
        }
        let Some(member_id) = member_ids.get(&term.account).copied() else {
            answers.push(Err(EntitlementsError::NotFound {
                field: "account",
                message: format!("no member {} (import member-profiles first)", term.account),
            }));
            continue;
        };
        if !period.get(&term.product_code).copied().unwrap_or(false) {
            answers.push(Err(EntitlementsError::Invalid {
                field: "productCode",
                message: format!("{} is not a PERIOD product of the catalog", term.product_code),
            }));
            continue;
        }
        let row = locked_entitlement(txn, Holder::Member(member_id), &term.product_code, at).await?;
        if row.right_due_date.is_some_and(|due| due >= term.due) {
            answers.push(Ok(false));
            continue;
        }
        let status = if term.due >= as_of { SubscribeStatus::Current } else { SubscribeStatus::Lapsed };
        entitlement::Entity::update_many()
            .col_expr(entitlement::Column::RightDueDate, Expr::value(term.due))
            .col_expr(entitlement::Column::SubscribeStatus, Expr::value(i16::from(status.code())))
            .col_expr(entitlement::Column::UpdatedAt, Expr::value(at))
            .filter(entitlement::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        grant::ActiveModel {
            entitlement_id: Set(Some(row.id)),
            kind: Set("IMPORT".to_owned()),
            outcome: Set("GRANTED".to_owned()),
            reason: Set(Some(term.source.clone())),
            right_due_date: Set(Some(term.due)),
            seniority_thousandths: Set(0),
            granted_at: Set(at),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        answers.push(Ok(true));
    }
    Ok(answers)
}
