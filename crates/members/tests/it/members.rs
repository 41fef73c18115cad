//! ssoUpdMember: create, update, uuid rules, e-mail history, bad input with nothing written.

use crate::{at, count};
use members::model::NineOneMemberInfo;
use members::service::{self, upsert_member};
use members::{Account, Change, MemberInput, MembersError, Upserted};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;
use platform_core::events::{self, EventFilter};
use serde_json::json;

fn input(account: &str) -> MemberInput {
    MemberInput { account: account.to_owned(), ..MemberInput::default() }
}

#[tokio::test]
async fn member_is_created_with_a_requested_uuid_then_updated_by_account() {
    for db in test_support::databases().await {
        let uuid = service::request_uuid(&db.conn, at(1)).await.unwrap();
        let create = MemberInput {
            uuid: Some(uuid),
            email: Change::Set("Sun1229@gmail.com".into()),
            name: Change::Set("孫小美".into()),
            phone: Change::Set("0912-345-678".into()),
            marketing_opt_in: Some(true),
            nine_one_member_info: Change::Set(NineOneMemberInfo {
                profession: Some("FinanceOrInsurance".into()),
                email: Some("sun1229+91app@gmail.com".into()),
                ..NineOneMemberInfo::default()
            }),
            ..input(" Sun1229@Gmail.com ")
        };
        let (member, outcome) = upsert_member(&db.conn, create.clone(), at(1)).await.unwrap();
        assert_eq!(outcome, Upserted::Created, "{}", db.label());
        assert_eq!(member.account.as_str(), "sun1229@gmail.com");
        assert_eq!(member.uuid, uuid);
        assert!(member.marketing_opt_in && !member.verified);
        assert_eq!(member.nine_one_member_info.unwrap().profession.as_deref(), Some("FinanceOrInsurance"));

        // The same request again (a retry) changes nothing and writes no event.
        let events_before = count(&db.conn, "events").await;
        let (_, again) = upsert_member(&db.conn, create, at(2)).await.unwrap();
        assert_eq!(again, Upserted::Unchanged);
        assert_eq!(count(&db.conn, "events").await, events_before);

        // Left-out fields are kept; null clears.
        let patch = MemberInput { name: Change::Clear, verified: Some(true), ..input("SUN1229@gmail.com") };
        let (updated, outcome) = upsert_member(&db.conn, patch, at(3)).await.unwrap();
        assert_eq!(outcome, Upserted::Updated);
        assert_eq!(updated.name, None);
        assert_eq!(updated.phone.as_deref(), Some("0912-345-678"));
        assert!(updated.verified && updated.marketing_opt_in);
        assert_eq!(updated.created_at, at(1));
        assert_eq!(updated.updated_at, at(3));
        assert_eq!(count(&db.conn, "members").await, 1);
    }
}

#[tokio::test]
async fn uuid_rules_unknown_is_bad_input_duplicate_account_is_conflict() {
    for db in test_support::databases().await {
        let (first, _) = upsert_member(&db.conn, input("a@example.com"), at(1)).await.unwrap();

        // A UUID nobody issued.
        let unknown = MemberInput { uuid: Some(uuid::Uuid::new_v4()), ..input("new@example.com") };
        let err = upsert_member(&db.conn, unknown, at(1)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
        assert!(err.to_string().starts_with("uuid: unknown uuid"), "{err}");

        // A fresh UUID with an account that is already registered: the duplicate create.
        let fresh = service::request_uuid(&db.conn, at(1)).await.unwrap();
        let dup = MemberInput { uuid: Some(fresh), ..input(" A@Example.com") };
        let err = upsert_member(&db.conn, dup, at(1)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
        assert!(err.to_string().starts_with("account: "), "{err}");

        // The uuid of one member with the account of another.
        let (second, _) = upsert_member(&db.conn, input("b@example.com"), at(1)).await.unwrap();
        let crossed = MemberInput { uuid: Some(second.uuid), ..input("a@example.com") };
        let err = upsert_member(&db.conn, crossed, at(1)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
        assert_eq!(count(&db.conn, "members").await, 2, "nothing written by the failures");

        // An issued UUID is used once: the fresh one creates a member, then it is that member's.
        let (third, outcome) =
            upsert_member(&db.conn, MemberInput { uuid: Some(fresh), ..input("c@example.com") }, at(1))
                .await
                .unwrap();
        assert_eq!((outcome, third.uuid), (Upserted::Created, fresh));
        let _ = first;
    }
}

#[tokio::test]
async fn found_by_uuid_the_account_changes_and_both_changes_are_in_the_event_log() {
    for db in test_support::databases().await {
        let create = MemberInput { email: Change::Set("old@example.com".into()), ..input("old@example.com") };
        let (member, _) = upsert_member(&db.conn, create, at(1)).await.unwrap();
        let rename = MemberInput {
            uuid: Some(member.uuid),
            email: Change::Set("new@example.com".into()),
            ..input("new@example.com")
        };
        let (renamed, outcome) = upsert_member(&db.conn, rename, at(2)).await.unwrap();
        assert_eq!(outcome, Upserted::Updated, "{}", db.label());
        assert_eq!(renamed.account.as_str(), "new@example.com");
        assert!(
            service::find_member(&db.conn, &Account::parse("old@example.com").unwrap())
                .await
                .unwrap()
                .is_none()
        );

        let subject = format!("member:{}", member.uuid);
        let filter = EventFilter { subject: Some(subject), ..EventFilter::default() };
        let log = events::list(&db.conn, &filter, None, 100).await.unwrap();
        let types: Vec<&str> = log.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            ["member.created", "member.account_changed", "member.email_changed", "member.updated"]
        );
        let email_change = &log[2];
        assert_eq!(email_change.payload["from"], "old@example.com");
        assert_eq!(email_change.payload["to"], "new@example.com");
        assert_eq!(email_change.occurred_at, at(2));
        assert_eq!(log[3].payload["fields"], json!(["account", "email"]));
    }
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    for db in test_support::databases().await {
        let cases: Vec<(MemberInput, &str)> = vec![
            (input("   "), "account: "),
            (input("has space@example.com"), "account: "),
            (MemberInput { email: Change::Set("not-an-email".into()), ..input("x@example.com") }, "email: "),
            (MemberInput { phone: Change::Set("12ab".into()), ..input("x@example.com") }, "phone: "),
            (MemberInput { name: Change::Set(" ".into()), ..input("x@example.com") }, "name: "),
            (
                MemberInput {
                    nine_one_member_info: Change::Set(NineOneMemberInfo {
                        email: Some("nope".into()),
                        ..NineOneMemberInfo::default()
                    }),
                    ..input("x@example.com")
                },
                "nineOneMemberInfo.email: ",
            ),
            (
                MemberInput {
                    nine_one_member_info: Change::Set(NineOneMemberInfo {
                        address: Some("巷".repeat(301)),
                        ..NineOneMemberInfo::default()
                    }),
                    ..input("x@example.com")
                },
                "nineOneMemberInfo.address: must be at most 300",
            ),
            (
                MemberInput {
                    trade_van_member_info: Change::Set(
                        json!({ "notes": "x".repeat(members::MAX_PROFILE_BYTES) }),
                    ),
                    ..input("x@example.com")
                },
                "tradeVanMemberInfo: is ",
            ),
            (
                MemberInput {
                    trade_van_member_info: Change::Set(json!({ "color": "red" })),
                    ..input("x@example.com")
                },
                "tradeVanMemberInfo: unknown field `color`",
            ),
            (
                MemberInput {
                    trade_van_member_info: Change::Set(json!({ "CVALIDDAYS": "many" })),
                    ..input("x@example.com")
                },
                "tradeVanMemberInfo: invalid type",
            ),
        ];
        for (bad, message) in cases {
            let err: MembersError = upsert_member(&db.conn, bad, at(1)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
            assert!(err.to_string().starts_with(message), "expected {message:?}, got {err}");
        }
        assert_eq!(count(&db.conn, "members").await, 0);
        assert_eq!(count(&db.conn, "events").await, 0);
    }
}

#[tokio::test]
async fn trade_van_profile_accepts_the_legacy_member_columns() {
    for db in test_support::databases().await {
        let legacy = json!({ "MEMBERID": "37743", "CVALIDDAYS": 120, "WVALIDDATE": "2027-03-31" });
        let with = MemberInput { trade_van_member_info: Change::Set(legacy), ..input("tn1658@yahoo.com.tw") };
        let (member, _) = upsert_member(&db.conn, with, at(1)).await.unwrap();
        let info = member.trade_van_member_info.unwrap();
        assert_eq!(info.member_id.as_deref(), Some("37743"));
        assert_eq!(info.c_valid_days, Some(120));
        assert_eq!(info.w_valid_date, chrono::NaiveDate::from_ymd_opt(2027, 3, 31));
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_account_leave_exactly_one_member() {
    for db in test_support::databases().await {
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let conn = db.conn.clone();
                tokio::spawn(async move {
                    let name = Change::Set(format!("try {i}"));
                    upsert_member(&conn, MemberInput { name, ..input("race@example.com") }, at(1)).await
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok((_, Upserted::Created)) => created += 1,
                Ok(_) => {}
                Err(err) => assert_eq!(err.code(), ErrorCode::Conflict, "{}: {err}", db.label()),
            }
        }
        assert_eq!(created, 1, "{}", db.label());
        assert_eq!(count(&db.conn, "members").await, 1);
        let created_events = events::list(
            &db.conn,
            &EventFilter { event_type: Some("member.created".into()), ..EventFilter::default() },
            None,
            10,
        )
        .await
        .unwrap();
        assert_eq!(created_events.len(), 1);
    }
}

#[tokio::test]
async fn access_a_member_reads_only_itself_through_the_use_case_by_account_or_uuid() {
    use members::Principal;
    use members::service::MemberKey;
    for db in test_support::databases().await {
        let (alice, _) = upsert_member(&db.conn, input("alice@example.com"), at(1)).await.unwrap();
        let (bob, _) = upsert_member(&db.conn, input("bob@example.com"), at(1)).await.unwrap();
        let as_alice = Principal::Member { account: alice.account.clone() };
        let ec = Principal::Service { subject: "ec".into() };

        let own = service::member_for(&db.conn, &as_alice, MemberKey::Uuid(alice.uuid)).await.unwrap();
        assert_eq!(own.map(|m| m.account), Some(alice.account.clone()), "{}", db.label());
        let own = service::member_for(&db.conn, &as_alice, MemberKey::Account(alice.account.clone()));
        assert!(own.await.unwrap().is_some());

        // Another's member, by account or uuid, and an unknown uuid all look the same to a member.
        for key in [
            MemberKey::Account(bob.account.clone()),
            MemberKey::Uuid(bob.uuid),
            MemberKey::Uuid(uuid::Uuid::new_v4()),
        ] {
            let err = service::member_for(&db.conn, &as_alice, key.clone()).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::Forbidden, "{key:?} on {}", db.label());
        }
        // A service reads anyone; an unknown uuid is simply absent.
        assert!(service::member_for(&db.conn, &ec, MemberKey::Uuid(bob.uuid)).await.unwrap().is_some());
        assert!(
            service::member_for(&db.conn, &ec, MemberKey::Uuid(uuid::Uuid::new_v4()))
                .await
                .unwrap()
                .is_none()
        );
        let err = service::member_for(&db.conn, &Principal::Anonymous, MemberKey::Uuid(alice.uuid)).await;
        assert_eq!(err.unwrap_err().code(), ErrorCode::Unauthenticated);
    }
}
