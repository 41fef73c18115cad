//! **R20, IMMEDIATE cancellation of a subscription** (admins; END_OF_TERM is the renewals domain's own):
//! in one transaction the renewal stops, the order that paid its current term is cancelled — its lines'
//! unused part revoked (unpublished issues, the days not yet used) — and the refund is the unused share of
//! what each line was paid; the refund follows once by the cancellation's key. A renewal never charged
//! through an order (imported) just stops.

use crate::AfterSaleError;
use crate::returns::{AfterSale, Context, record_in, settle_refund};
use chrono::{DateTime, Utc};
use orders::service::{ReturnInput, ReturnKind, TakenLine, cancel_key, paid_lines};
use payments::PaymentGateway;
use platform_core::Money;
use platform_core::db::begin_write;
use platform_core::settings::RenewalSettings;
use renewals::cancel::{CancelReason, immediately};

/// What an IMMEDIATE cancellation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledNow {
    /// The renewal.
    pub renewal_id: platform_core::RenewalId,
    /// The current term's order taken back, with its refund (none for a renewal without an order).
    pub term: Option<AfterSale>,
}

/// Cancels renewal `renewal_id` now, revoking and refunding the unused part of its current term. Admins
/// only (SPEC §3: it refunds money); members and services cancel at the end of the term.
pub async fn cancel_immediately<G: PaymentGateway>(
    ctx: Context<'_, G>,
    caller: &members::Principal,
    settings: &RenewalSettings,
    renewal_id: platform_core::RenewalId,
    reason: CancelReason,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<CancelledNow, AfterSaleError> {
    caller.require_admin().map_err(members::MembersError::from)?;
    let txn = begin_write(ctx.orders.db()).await?;
    let stopped = immediately(&txn, renewal_id, reason, note, settings, at).await?;
    let Some(order_no) = stopped.term_order_no else {
        txn.commit().await?;
        return Ok(CancelledNow { renewal_id, term: None });
    };
    let paid = paid_lines(&txn, &order_no).await?;
    let lines: Vec<TakenLine> = paid
        .iter()
        .map(|l| TakenLine {
            line_id: l.line_id,
            position: l.position,
            item_no: l.item_no.clone(),
            quantity: l.quantity,
            bought: l.bought,
        })
        .collect();
    let shares = entitlements::revoke::unused_shares(&txn, ctx.calendar, &lines, at).await?;
    // Each line's unused share of what its units still held were paid.
    let refund: i64 = shares
        .iter()
        .filter_map(|(line, taken, of)| {
            let paid = paid.iter().find(|l| l.line_id == *line)?;
            let held =
                i128::from(paid.amount.amount()) * i128::from(paid.quantity) / i128::from(paid.bought.max(1));
            i64::try_from(held * i128::from(*taken) / i128::from((*of).max(1))).ok()
        })
        .sum();
    let words = note.map_or_else(|| reason.as_str().to_owned(), |n| format!("{}: {n}", reason.as_str()));
    let input = ReturnInput {
        order_no: order_no.clone(),
        kind: ReturnKind::Cancel,
        return_key: cancel_key(&order_no),
        lines: Vec::new(),
        refund_amount: Money::new(0),
        shipping_refund: Money::new(0),
        supplementary_charge: Money::new(0),
        reason: format!("subscription cancelled at once ({words})"),
        cancel_refund: Some(Money::new(refund)),
    };
    let recorded = record_in(&txn, ctx.calendar, &input, at).await?;
    txn.commit().await?;
    let term = settle_refund(ctx, recorded, at).await?;
    Ok(CancelledNow { renewal_id, term: Some(term) })
}
