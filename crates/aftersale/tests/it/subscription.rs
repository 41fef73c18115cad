//! R20 IMMEDIATE cancellation: the renewal stops, the current term's unused part is revoked and its share
//! of the price refunded, once.

use crate::fixtures::{World, at};
use aftersale::subscription::cancel_immediately;
use chrono::NaiveDate;
use entitlements::SubscribeStatus;
use orders::service::RefundStatus;
use platform_core::error::HasErrorCode;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, Money};
use renewals::cancel::CancelReason;
use renewals::service::{NewRenewal, create_renewal, find_renewal};
use test_support::count;

#[tokio::test]
async fn r20_an_immediate_cancel_refunds_the_unused_part_of_the_term() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let calendar = BusinessCalendar::default();
        // (holder, cancelled on) — day 0 and mid-term.
        for (n, day) in [
            (7, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()),
            (8, NaiveDate::from_ymd_opt(2027, 5, 22).unwrap()),
        ] {
            let no = world.order(n, &format!("im-{n}"), &[("KC24010002", 1, 1990)], 0, true).await;
            let pass = world.entitlement(n, "KCW").await;
            let due = pass.right_due_date.unwrap();
            let input = NewRenewal {
                customer_no: world.payer(n),
                member_account: Some(format!("holder{n}@example.com")),
                promotion_code: "KC24010002".into(),
                origin_order_no: Some(no.clone()),
                card_last4: Some("4242".into()),
                payment_token: Some("tok_ok_im".into()),
                ..NewRenewal::default()
            };
            let renewal = create_renewal(&db.conn, calendar, input, at(1)).await.unwrap().renewal;
            let when = calendar.start_of(day) + chrono::Duration::hours(10);
            // SPEC §3: it refunds money, so admins only; a service or the owner is refused, nothing written.
            let events = count(&db.conn, "events").await;
            for caller in [
                members::Principal::Service { subject: "ec".into() },
                members::Principal::Member {
                    account: members::Account::parse(&format!("holder{n}@example.com")).unwrap(),
                },
            ] {
                let refused = cancel_now(&world, &caller, renewal.id, when).await.map(|_| ()).unwrap_err();
                assert_eq!(refused.code(), platform_core::ErrorCode::Forbidden, "{caller:?}");
            }
            assert_eq!(count(&db.conn, "events").await, events, "nothing written when refused");
            let done = cancel_now(&world, &admin(), renewal.id, when).await.unwrap();
            let start = due.checked_sub_months(chrono::Months::new(12)).unwrap();
            let expected = 1990 * (due - day).num_days() / (due - start).num_days();
            let refund = done.term.as_ref().and_then(|t| t.refund.clone()).unwrap();
            assert_eq!(
                (refund.status, refund.amount),
                (RefundStatus::Refunded, Money::new(expected)),
                "{n} on {day} ({})",
                db.label()
            );
            let again = cancel_now(&world, &admin(), renewal.id, when).await.unwrap();
            assert_eq!(again.term.and_then(|t| t.refund), Some(refund), "again: the same refund");
            let pass = world.entitlement(n, "KCW").await;
            assert_eq!(
                (pass.right_due_date, pass.subscribe_status),
                (Some(day), SubscribeStatus::Lapsed),
                "access ends today"
            );
            let stopped = find_renewal(&db.conn, renewal.id).await.unwrap().unwrap();
            assert_eq!(
                (stopped.status, stopped.cancel_reason.as_deref()),
                (renewals::RenewalStatus::Stopped, Some("MOVING"))
            );
        }
        assert_eq!(world.gateway.refunds().await.unwrap().len(), 2, "one refund per cancellation");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.cancelled'").await, 2);
    }
}

fn admin() -> members::Principal {
    members::Principal::Admin { subject: "ops".into() }
}

/// IMMEDIATE, for MOVING, as `caller`.
async fn cancel_now(
    world: &World,
    caller: &members::Principal,
    id: platform_core::RenewalId,
    when: chrono::DateTime<chrono::Utc>,
) -> Result<aftersale::subscription::CancelledNow, aftersale::AfterSaleError> {
    let settings = RenewalSettings::default();
    cancel_immediately(world.ctx(), caller, &settings, id, CancelReason::Moving, None, when).await
}
