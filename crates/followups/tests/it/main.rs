//! The follow-up queue (R17) on real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

use chrono::{Duration, TimeZone, Utc};
use followups::{FollowUpError, FollowUpFilter, Kind, NewFollowUp, Priority, Status, manage};
use platform_core::error::HasErrorCode;
use serde_json::json;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()
}

#[tokio::test]
async fn r17_one_open_follow_up_per_kind_and_subject() {
    for db in test_support::databases().await {
        let db = &db.conn;
        let failed =
            |subject: &str| NewFollowUp::new(Kind::RenewalFailedFinal, subject, "declined", json!({}));
        let opened = followups::open_many(
            db,
            vec![failed("renewal:1"), failed("renewal:1"), failed("renewal:2")],
            at(),
        )
        .await
        .unwrap();
        assert_eq!(opened.len(), 2, "the duplicate in the batch is left out");
        assert!(followups::open(db, failed("renewal:1"), at()).await.unwrap().is_none(), "already open");
        let other_kind = NewFollowUp::new(Kind::NoPaymentMethod, "renewal:1", "no card", json!({}));
        assert!(followups::open(db, other_kind, at()).await.unwrap().is_some(), "another kind is its own");
        assert_eq!(test_support::count(db, "events WHERE event_type = 'follow_up.opened'").await, 3);
        let first = &opened[0];
        assert_eq!(first.priority, Priority::Medium);
        assert_eq!(first.due_at, at() + Duration::hours(2), "due after the priority's response time");
        // Once closed, the same cause opens a new one.
        manage::resolve(db, first.id, "card updated, charged by hand", "admin:ops", at()).await.unwrap();
        assert!(followups::open(db, failed("renewal:1"), at()).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn r17_open_then_in_progress_then_resolved_with_notes_and_events() {
    for db in test_support::databases().await {
        let db = &db.conn;
        let new = NewFollowUp::new(Kind::PaymentAmountMismatch, "order:A1", "3480 paid, 3000 due", json!({}));
        let opened = followups::open(db, new, at()).await.unwrap().unwrap();
        assert_eq!((opened.status, opened.priority), (Status::Open, Priority::High));
        let assigned = manage::assign(db, opened.id, "mei", "admin:lead", at()).await.unwrap();
        assert_eq!((assigned.status, assigned.assignee.as_deref()), (Status::InProgress, Some("mei")));
        manage::add_note(db, opened.id, "called the customer", "admin:mei", at()).await.unwrap();
        let resolved = manage::resolve(db, opened.id, "refunded 480", "admin:mei", at()).await.unwrap();
        assert_eq!(
            (resolved.status, resolved.resolution.as_deref()),
            (Status::Resolved, Some("refunded 480"))
        );
        let notes: Vec<String> =
            manage::notes(db, opened.id).await.unwrap().into_iter().map(|n| n.body).collect();
        assert_eq!(notes, ["assigned to mei", "called the customer", "resolved: refunded 480"]);
        let subject = format!("events WHERE subject = 'follow_up:{}'", opened.id);
        assert_eq!(test_support::count(db, &subject).await, 4, "opened, assigned, noted, resolved");
        // A closed follow-up takes no more changes, and nothing is written.
        let notes_before = test_support::count(db, "follow_up_notes").await;
        for refused in [
            manage::resolve(db, opened.id, "again", "admin:x", at()).await.map(|_| ()),
            manage::dismiss(db, opened.id, "no", "admin:x", at()).await.map(|_| ()),
            manage::assign(db, opened.id, "bob", "admin:x", at()).await.map(|_| ()),
            manage::add_note(db, opened.id, "late", "admin:x", at()).await.map(|_| ()),
        ] {
            let err = refused.unwrap_err();
            assert_eq!(err.code(), platform_core::ErrorCode::Conflict, "{err}");
        }
        assert_eq!(test_support::count(db, "follow_up_notes").await, notes_before);
        assert_eq!(test_support::count(db, &subject).await, 4);
        assert!(matches!(
            manage::resolve(db, 999_999, "x", "a", at()).await,
            Err(FollowUpError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn r17_bad_input_is_refused_and_writes_nothing() {
    for db in test_support::databases().await {
        let db = &db.conn;
        for (kind, subject) in [
            (Kind::RenewalFailedFinal, "order:A1"),
            (Kind::WebhookDead, "delivery:"),
            (Kind::Other, "no-colon"),
            (Kind::Other, "Bad Kind:1"),
        ] {
            let err =
                manage::open_by_hand(db, kind, subject, None, "look", "admin:x", at()).await.unwrap_err();
            assert_eq!(err.code(), platform_core::ErrorCode::BadUserInput, "{subject}: {err}");
        }
        let ok = manage::open_by_hand(
            db,
            Kind::Other,
            "customer:C1",
            Some(Priority::Urgent),
            "call back",
            "admin:x",
            at(),
        )
        .await
        .unwrap();
        for (body, what) in [("", "empty"), ("a\u{7}b", "control"), (&"x".repeat(4001) as &str, "long")] {
            let err = manage::add_note(db, ok.id, body, "admin:x", at()).await.unwrap_err();
            assert_eq!(err.code(), platform_core::ErrorCode::BadUserInput, "{what}");
        }
        let err = manage::assign(db, ok.id, " ", "admin:x", at()).await.unwrap_err();
        assert_eq!(err.code(), platform_core::ErrorCode::BadUserInput);
        assert_eq!(test_support::count(db, "follow_ups").await, 1);
        assert_eq!(test_support::count(db, "follow_up_notes").await, 1, "only the first note");
    }
}

#[tokio::test]
async fn r17_the_queue_lists_overdue_first_and_pages() {
    for db in test_support::databases().await {
        let db = &db.conn;
        let low = NewFollowUp::new(Kind::EmailFailed, "email:1", "bounced", json!({}));
        let high = NewFollowUp::new(Kind::DuplicatePayment, "order:B2", "paid twice", json!({}));
        let later = NewFollowUp::new(Kind::RenewalFailedFinal, "renewal:9", "declined", json!({}));
        followups::open_many(db, vec![low, high], at()).await.unwrap();
        followups::open(db, later, at() + Duration::hours(1)).await.unwrap();
        let now = at() + Duration::hours(2);
        let all = manage::list(db, &FollowUpFilter::default(), None, 10, now).await.unwrap();
        let subjects: Vec<&str> = all.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(subjects, ["order:B2", "renewal:9", "email:1"], "by due time");
        assert!(all[0].is_overdue(now) && !all[1].is_overdue(now));
        let overdue = FollowUpFilter { overdue: true, ..FollowUpFilter::default() };
        assert_eq!(manage::list(db, &overdue, None, 10, now).await.unwrap().len(), 1);
        let first = manage::list(db, &FollowUpFilter::default(), None, 1, now).await.unwrap();
        let cursor = (first[0].due_at, first[0].id);
        let rest = manage::list(db, &FollowUpFilter::default(), Some(cursor), 10, now).await.unwrap();
        assert_eq!(rest.iter().map(|f| f.subject.as_str()).collect::<Vec<_>>(), ["renewal:9", "email:1"]);
        let counts = manage::counts(db, at(), at() + Duration::hours(1), now).await.unwrap();
        assert_eq!((counts.opened, counts.overdue), (2, 1));
        assert_eq!(counts.open_by_priority[1], (Priority::High, 1));
    }
}
