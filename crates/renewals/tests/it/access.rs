//! SPEC §3 in the renewals' use cases: each takes the caller and decides, in its own transaction, before it
//! changes anything — a member acts only on its own renewals; unknown and foreign look the same to it.

use crate::fixtures::{at, holder, ops, renewal, runner};
use members::{Account, Principal};
use payments::SimulatedGateway;
use platform_core::RenewalId;
use platform_core::error::HasErrorCode;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, ErrorCode};
use renewals::cancel::{CancelReason, at_term_end};
use renewals::change::skip;
use renewals::service::{
    create_renewal, find_renewal, renewal_for, renewals_for, stop_renewal, update_payment,
};
use std::time::Duration;
use test_support::count;

fn member(account: &str) -> Principal {
    Principal::Member { account: Account::parse(account).unwrap() }
}

#[tokio::test]
async fn access_a_member_reads_and_changes_only_its_own_renewals_and_nothing_is_written_otherwise() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let (customer_no, owner) = holder(&db, 1).await;
        let (_, other) = holder(&db, 2).await;
        let created = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal(&customer_no, &owner, "KC24010001"),
            at(),
        )
        .await
        .unwrap()
        .renewal;
        let id = created.id;
        let (as_owner, as_other) = (member(&owner), member(&other));
        let events = count(&db.conn, "events").await;
        let run = runner(&db, SimulatedGateway::new(db.conn.clone(), Duration::ZERO), settings.clone());

        let forbidden = [
            renewal_for(&db.conn, &as_other, id).await.map(|_| ()).unwrap_err(),
            skip(&db.conn, &as_other, id, 1, &settings, at()).await.map(|_| ()).unwrap_err(),
            update_payment(&db.conn, &as_other, id, "tok_ok_evil", None, at()).await.map(|_| ()).unwrap_err(),
            at_term_end(&db.conn, &as_other, id, CancelReason::Price, None, &settings, at())
                .await
                .map(|_| ())
                .unwrap_err(),
            run.retry_now(&as_other, id, at()).await.map(|_| ()).unwrap_err(),
            stop_renewal(&db.conn, &as_other, id, at()).await.map(|_| ()).unwrap_err(),
            // An unknown renewal looks the same as another's.
            stop_renewal(&db.conn, &as_owner, RenewalId(id.0 + 1_000), at()).await.map(|_| ()).unwrap_err(),
            renewal_for(&db.conn, &as_owner, RenewalId(id.0 + 1_000)).await.map(|_| ()).unwrap_err(),
        ];
        for err in &forbidden {
            assert_eq!(err.code(), ErrorCode::Forbidden, "{err} on {}", db.label());
        }
        assert_eq!(count(&db.conn, "events").await, events, "nothing written for a foreign caller");
        assert_eq!(find_renewal(&db.conn, id).await.unwrap(), Some(created.clone()));

        // Operators see that an unknown renewal is absent.
        assert_eq!(renewal_for(&db.conn, &ops(), RenewalId(id.0 + 1_000)).await.unwrap(), None);
        let err = stop_renewal(&db.conn, &ops(), RenewalId(id.0 + 1_000), at()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
        let err = renewal_for(&db.conn, &Principal::Anonymous, id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unauthenticated);

        // Lists: a member's are its own; asking for another's is refused; a service names a holder.
        let owner_account = Account::parse(&owner).unwrap();
        let other_account = Account::parse(&other).unwrap();
        let mine = renewals_for(&db.conn, &as_owner, None, None, None).await.unwrap();
        assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
        let err = renewals_for(&db.conn, &as_other, None, Some(&owner_account), None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        assert!(
            renewals_for(&db.conn, &as_other, None, Some(&other_account), None).await.unwrap().is_empty()
        );
        let err = renewals_for(&db.conn, &ops(), None, None, None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput);

        // The owner acts on its own.
        assert_eq!(renewal_for(&db.conn, &as_owner, id).await.unwrap().map(|r| r.id), Some(id));
        let stopped = stop_renewal(&db.conn, &as_owner, id, at()).await.unwrap();
        assert_eq!(stopped.status, renewals::RenewalStatus::Stopped);
    }
}
