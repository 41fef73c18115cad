//! The e-mail outbox against a real SMTP listener in the test process.

use chrono::{Duration as Span, Utc};
use notify::email::{self, EmailFilter, EmailKind, EmailStatus, Mailer, NewEmail, Templates};
use platform_core::settings::{EmailSettings, Secret};
use serde_json::json;
use std::sync::Arc;
use test_support::smtp::SmtpReceiver;

fn notice(renewal: i64, to: Option<&str>) -> NewEmail {
    NewEmail {
        kind: EmailKind::RenewalNotice,
        dedupe_key: format!("renewal_notice:{renewal}"),
        to: to.map(str::to_owned),
        regarding: format!("renewal:{renewal}"),
        data: json!({ "customerName": "王小明", "productName": "天下雜誌", "deductDate": "2027-01-09",
                      "deductPrice": 2280, "cardLast4": "4242", "cardUpdateUrl": "https://shop/renewals/1/card" }),
    }
}

fn settings(url: Option<&str>) -> EmailSettings {
    EmailSettings {
        smtp_url: url.map(Secret::new),
        retry_schedule_secs: vec![60, 300],
        ..EmailSettings::default()
    }
}

#[tokio::test]
async fn r12_emails_are_queued_once_and_sent_over_smtp() {
    for db in test_support::databases().await {
        let templates = Arc::new(Templates::load(None).unwrap());
        let now = Utc::now();
        assert!(email::queue(&db.conn, notice(1, Some("ming@example.com")), now).await.unwrap());
        assert!(!email::queue(&db.conn, notice(1, Some("ming@example.com")), now).await.unwrap(), "deduped");
        assert!(email::queue(&db.conn, notice(2, None), now).await.unwrap());

        // Without SMTP nothing is sent and the e-mail stays in the outbox for inspection.
        let offline = Mailer::new(db.conn.clone(), &settings(None), templates.clone()).unwrap();
        assert_eq!(offline.run_once(now).await.unwrap().sent, 0);
        let queued = email::list(&db.conn, &templates, &EmailFilter::default(), 10).await.unwrap();
        assert_eq!(queued.len(), 2, "{}", db.label());
        let by_status = |s| queued.iter().filter(|e| e.status == s).count();
        assert_eq!((by_status(EmailStatus::Queued), by_status(EmailStatus::NoAddress)), (1, 1));
        assert_eq!(queued[1].subject, "天下雜誌: your subscription renews on 2027-01-09");

        let smtp = SmtpReceiver::start().await.unwrap();
        let mailer = Mailer::new(db.conn.clone(), &settings(Some(&smtp.url)), templates.clone()).unwrap();
        let summary = mailer.run_once(now).await.unwrap();
        assert_eq!((summary.sent, summary.failed), (1, 0));
        let received = smtp.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].to, vec!["<ming@example.com>".to_owned()]);
        assert!(received[0].data.contains("Subject:"), "{}", received[0].data);
        assert!(received[0].data.contains("NT$2280"), "{}", received[0].data);
        // Sent once: another round sends nothing.
        assert_eq!(mailer.run_once(now + Span::hours(1)).await.unwrap().sent, 0);
        assert_eq!(smtp.received().len(), 1);
        let sent = email::list(
            &db.conn,
            &templates,
            &EmailFilter { status: Some(EmailStatus::Sent), ..Default::default() },
            10,
        )
        .await
        .unwrap();
        assert_eq!(sent.len(), 1);
        assert!(sent[0].sent_at.is_some());
    }
}

#[tokio::test]
async fn r12_a_mail_server_that_is_down_loses_nothing() {
    for db in test_support::databases().await {
        let templates = Arc::new(Templates::load(None).unwrap());
        let smtp = SmtpReceiver::start().await.unwrap();
        let mailer = Mailer::new(db.conn.clone(), &settings(Some(&smtp.url)), templates.clone()).unwrap();
        let now = Utc::now();
        email::queue(&db.conn, notice(7, Some("a@example.com")), now).await.unwrap();

        smtp.fail_next(1);
        let first = mailer.run_once(now).await.unwrap();
        assert_eq!((first.sent, first.retrying), (0, 1), "{}", db.label());
        // Not due again before the first wait (60 s) has passed.
        assert_eq!(mailer.run_once(now + Span::seconds(30)).await.unwrap().sent, 0);
        assert_eq!(mailer.run_once(now + Span::seconds(61)).await.unwrap().sent, 1);
        let rows = email::list(&db.conn, &templates, &EmailFilter::default(), 10).await.unwrap();
        assert_eq!((rows[0].status, rows[0].attempts), (EmailStatus::Sent, 2));
        assert_eq!(smtp.received().len(), 1);

        // A server that never recovers: retried on the schedule, then FAILED with the error kept.
        email::queue(&db.conn, notice(8, Some("b@example.com")), now).await.unwrap();
        smtp.fail_next(10);
        let mut at = now;
        for _ in 0..3 {
            mailer.run_once(at).await.unwrap();
            at += Span::seconds(301);
        }
        let failed = email::list(
            &db.conn,
            &templates,
            &EmailFilter { regarding: Some("renewal:8".into()), ..Default::default() },
            10,
        )
        .await
        .unwrap();
        assert_eq!((failed[0].status, failed[0].attempts), (EmailStatus::Failed, 3));
        assert!(
            failed[0].last_error.as_deref().unwrap_or_default().contains("451"),
            "{:?}",
            failed[0].last_error
        );
        let follow_up =
            format!("follow_ups WHERE kind = 'EMAIL_FAILED' AND subject = 'email:{}'", failed[0].id);
        assert_eq!(
            test_support::count(&db.conn, &follow_up).await,
            1,
            "R17: a person sees the failed e-mail"
        );
        assert_eq!(test_support::count(&db.conn, "follow_ups").await, 1, "a retried send opens none");
    }
}

#[tokio::test]
async fn r12_a_bad_smtp_url_is_refused_without_echoing_it() {
    let db = test_support::sqlite().await;
    let templates = Arc::new(Templates::load(None).unwrap());
    let err = Mailer::new(db.conn.clone(), &settings(Some("http://user:hunter2@host")), templates)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("smtp_url") && !err.contains("hunter2"), "{err}");
}

/// Issue #15 item 4: two dispatchers against a slow mail server send every e-mail exactly once. A round
/// used to claim its whole batch under one lease shorter than the round, so the other instance took over
/// e-mails still waiting their turn and sent them again; now each e-mail is claimed just before its send, the
/// lease covers that one send, and the outcome is fenced by the lease.
#[tokio::test]
async fn r12_two_dispatchers_and_a_slow_mail_server_send_each_email_once() {
    for db in test_support::databases().await {
        let templates = Arc::new(Templates::load(None).unwrap());
        let now = Utc::now();
        for n in 0..6 {
            assert!(
                email::queue(&db.conn, notice(100 + n, Some(&format!("m{n}@example.com"))), now)
                    .await
                    .unwrap()
            );
        }
        let smtp = SmtpReceiver::start().await.unwrap();
        smtp.answer_after(std::time::Duration::from_millis(300));
        // A lease of 1 s: longer than one send (0.3 s), shorter than a round of six (1.8 s).
        let short = EmailSettings { lease_secs: 1, ..settings(Some(&smtp.url)) };
        let first = Mailer::new(db.conn.clone(), &short, templates.clone()).unwrap();
        let second = Mailer::new(db.conn.clone(), &short, templates.clone()).unwrap();
        let later = |mailer: Mailer, delay: u64| async move {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            let mut sent = 0;
            for _ in 0..3 {
                sent += mailer.run_once(Utc::now()).await.unwrap().sent;
            }
            sent
        };
        let (a, b) = tokio::join!(later(first, 0), later(second, 1_100));
        let received = smtp.received();
        let mut recipients: Vec<&str> = received.iter().map(|r| r.to[0].as_str()).collect();
        recipients.sort_unstable();
        recipients.dedup();
        assert_eq!(
            (received.len(), recipients.len()),
            (6, 6),
            "{}: each exactly once: {received:?}",
            db.label()
        );
        assert_eq!(a + b, 6);
        let message_ids: std::collections::HashSet<String> = received
            .iter()
            .filter_map(|r| {
                r.data.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).map(str::to_owned)
            })
            .collect();
        assert_eq!(message_ids.len(), 6, "a stable Message-ID per e-mail");
    }
}

/// Stored values never default: an e-mail whose stored template data no longer parses is an error where it
/// is read (it was rendered with no data at all, and sent so), and the others are untouched.
#[tokio::test]
async fn an_email_whose_stored_data_is_corrupt_is_an_error_not_an_empty_mail() {
    for db in test_support::databases().await {
        let templates = Arc::new(Templates::load(None).unwrap());
        let now = Utc::now();
        assert!(email::queue(&db.conn, notice(1, Some("ming@example.com")), now).await.unwrap());
        let listed = email::list(&db.conn, &templates, &EmailFilter::default(), 10).await.unwrap();
        assert_eq!(listed.len(), 1, "{}", db.label());

        sea_orm::ConnectionTrait::execute_unprepared(&db.conn, "UPDATE emails SET data = 'not json'")
            .await
            .unwrap();
        let err = email::list(&db.conn, &templates, &EmailFilter::default(), 10).await.unwrap_err();
        assert!(format!("{err:#}").contains("not valid JSON"), "{}: {err:#}", db.label());
    }
}
