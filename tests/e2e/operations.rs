//! Operations over HTTP (R16, R17): the follow-up queue for admins.

use crate::support::{error_codes, servers};
use members::Role;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use test_support::count;

const FIELDS: &str = "id kind subject priority status assignee resolution overdue notes { author body }";

#[tokio::test]
async fn r17_admins_work_the_queue_over_graphql_and_nobody_else_sees_it() {
    for server in servers(|_| {}).await {
        let admin = server.token(Role::Admin, "ops-mei");
        let open = format!(
            "mutation($s: String!) {{ openFollowUp(kind: OTHER, subject: $s, priority: URGENT, note: \"call back\") {{ {FIELDS} }} }}"
        );
        let opened = server.graphql_as(&admin, &open, json!({ "s": "customer:C0001" })).await;
        let follow_up = &opened["data"]["openFollowUp"];
        assert_eq!(follow_up["status"], "OPEN", "{}: {opened}", server.label());
        assert_eq!(follow_up["priority"], "URGENT");
        let id = follow_up["id"].as_str().unwrap().to_owned();
        let again = server.graphql_as(&admin, &open, json!({ "s": "customer:C0001" })).await;
        assert_eq!(error_codes(&again), ["CONFLICT"], "one open per kind and subject");

        let step = |mutation: &str, arg: &str| {
            format!("mutation($id: ID!, $v: String!) {{ {mutation}(id: $id, {arg}: $v) {{ {FIELDS} }} }}")
        };
        let assigned = server
            .graphql_as(&admin, &step("assignFollowUp", "assignee"), json!({ "id": id, "v": "mei" }))
            .await;
        assert_eq!(assigned["data"]["assignFollowUp"]["status"], "IN_PROGRESS", "{assigned}");
        let noted = server
            .graphql_as(&admin, &step("addFollowUpNote", "body"), json!({ "id": id, "v": "left a message" }))
            .await;
        let notes: Vec<&str> = noted["data"]["addFollowUpNote"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["body"].as_str().unwrap())
            .collect();
        assert_eq!(notes, ["call back", "assigned to mei", "left a message"]);
        let resolved = server
            .graphql_as(
                &admin,
                &step("resolveFollowUp", "resolution"),
                json!({ "id": id, "v": "called back" }),
            )
            .await;
        assert_eq!(resolved["data"]["resolveFollowUp"]["status"], "RESOLVED", "{resolved}");
        let events_before = count(&server.db.conn, "events").await;
        for (mutation, arg) in [("resolveFollowUp", "resolution"), ("dismissFollowUp", "reason")] {
            let twice =
                server.graphql_as(&admin, &step(mutation, arg), json!({ "id": id, "v": "again" })).await;
            assert_eq!(error_codes(&twice), ["CONFLICT"], "{mutation}: {twice}");
        }
        assert_eq!(count(&server.db.conn, "events").await, events_before, "a refused change writes nothing");

        // Bad input: coded errors, nothing written.
        let follow_ups_before = count(&server.db.conn, "follow_ups").await;
        let wrong_subject = server
            .graphql_as(
                &admin,
                "mutation { openFollowUp(kind: RENEWAL_FAILED_FINAL, subject: \"order:A1\", note: \"x\") { id } }",
                json!({}),
            )
            .await;
        assert_eq!(error_codes(&wrong_subject), ["BAD_USER_INPUT"], "{wrong_subject}");
        let empty_note =
            server.graphql_as(&admin, &step("addFollowUpNote", "body"), json!({ "id": id, "v": " " })).await;
        assert_eq!(error_codes(&empty_note), ["BAD_USER_INPUT"], "{empty_note}");
        let missing = server
            .graphql_as(&admin, &step("resolveFollowUp", "resolution"), json!({ "id": "999999", "v": "x" }))
            .await;
        assert_eq!(error_codes(&missing), ["NOT_FOUND"], "{missing}");
        assert_eq!(count(&server.db.conn, "follow_ups").await, follow_ups_before);

        // The queue: closed ones only when asked for.
        let list =
            "query($f: FollowUpFilter) { followUps(filter: $f, first: 10) { edges { node { id status } } } }";
        let open_now = server.graphql_as(&admin, list, json!({ "f": null })).await;
        assert_eq!(open_now["data"]["followUps"]["edges"], json!([]), "{open_now}");
        let closed = server.graphql_as(&admin, list, json!({ "f": { "statuses": ["RESOLVED"] } })).await;
        assert_eq!(closed["data"]["followUps"]["edges"][0]["node"]["id"], Value::String(id.clone()));

        // Members and services see nothing of it.
        for token in
            [server.token(Role::Member, "alice@example.com"), server.token(Role::Service, "ec-backend")]
        {
            let refused = server.graphql_as(&token, list, json!({ "f": null })).await;
            assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
            let refused = server
                .graphql_as(&token, &step("resolveFollowUp", "resolution"), json!({ "id": id, "v": "x" }))
                .await;
            assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{refused}");
        }
        let anonymous = server.graphql(list, json!({ "f": null })).await;
        assert_eq!(error_codes(&anonymous), ["UNAUTHENTICATED"], "{anonymous}");
    }
}

/// What the test receiver keeps: the bodies it accepted, and the statuses it has yet to answer.
type ReceiverState = (Arc<Mutex<Vec<Value>>>, Arc<Mutex<std::collections::VecDeque<u16>>>);

/// A receiver that answers each POST with the next status of `answers` (then 200), keeping the bodies.
async fn receiver(answers: &[u16]) -> (String, Arc<Mutex<Vec<Value>>>) {
    let log: Arc<Mutex<Vec<Value>>> = Arc::default();
    let answers = Arc::new(Mutex::new(answers.iter().copied().collect::<std::collections::VecDeque<u16>>()));
    let state = (Arc::clone(&log), answers);
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |axum::extract::State((log, answers)): axum::extract::State<ReceiverState>,
                 body: axum::body::Bytes| async move {
                    let status = answers.lock().unwrap().pop_front().unwrap_or(200);
                    if status == 200 {
                        log.lock().unwrap().push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                    }
                    axum::http::StatusCode::from_u16(status).unwrap()
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, log)
}

async fn run(ctx: &jobs::JobContext, name: jobs::JobName, as_of: chrono::NaiveDate) -> jobs::JobRun {
    let request = jobs::RunRequest { as_of: Some(as_of), force: true, requested_by: "test".into() };
    let run = jobs::run(ctx, name, request, chrono::Utc::now()).await.unwrap();
    assert_eq!(run.error, None, "{run:?}");
    run
}

#[tokio::test]
async fn r16_a_day_of_charges_and_a_dead_webhook_is_reported_alerted_and_posted_to_slack_once() {
    let (slack_url, slack) = receiver(&[500]).await;
    let (gone_url, _) = receiver(&[410, 410, 410, 410, 410, 410, 410, 410]).await;
    let configure = |s: &mut platform_core::Settings| {
        s.webhooks.allow_private_networks = true;
        s.webhooks.retry_schedule_secs = vec![0, 0, 0];
        s.slack.webhook_url = Some(platform_core::settings::Secret::new(slack_url.clone()));
    };
    for server in servers(configure).await {
        slack.lock().unwrap().clear();
        let db = &server.db.conn;
        let ctx = jobs::JobContext::new(db.clone(), Arc::new(server.settings.clone())).unwrap();
        // Real today: the dispatcher works by the clock, so a dead delivery happens today.
        let day = platform_core::BusinessCalendar::from(&server.settings).date_of(chrono::Utc::now());
        let input =
            members::CustomerInput { name: members::Change::Set("王小明".into()), ..Default::default() };
        let (customer, _) = members::service::upsert_customer(db, input, chrono::Utc::now()).await.unwrap();
        for (count, token) in [(8, "tok_ok_4242"), (4, "tok_decline_0002")] {
            let seed = ::renewals::bulk::Seed {
                customer_no: &customer.customer_no,
                account: None,
                promotion_code: "GC18080026",
                count,
                deduct_date: day,
                payment_token: Some(token),
            };
            ::renewals::bulk::seed_due(db, seed, chrono::Utc::now()).await.unwrap();
        }
        let policy = notify::OutboundPolicy { allow_private_networks: true };
        let gone = notify::NewEndpoint {
            url: gone_url.clone(),
            events: vec!["renewal.charge_failed".into()],
            secret: None,
        };
        notify::endpoints::create_endpoint(db, gone, policy, chrono::Utc::now()).await.unwrap();

        run(&ctx, jobs::JobName::ChargeRenewals, day).await;
        run(&ctx, jobs::JobName::DispatchWebhooks, day).await;
        let dead = count(db, "webhook_deliveries WHERE status = 'DEAD'").await;
        assert!(dead >= 1, "{}: the receiver answered 410", server.label());

        // The next morning's report, twice: published once.
        let tomorrow = day.succ_opt().unwrap();
        run(&ctx, jobs::JobName::DailyReport, tomorrow).await;
        run(&ctx, jobs::JobName::DailyReport, tomorrow).await;
        assert_eq!(count(db, "events WHERE event_type = 'ops.report'").await, 1);

        // The figures are what was done.
        let admin = server.token(Role::Admin, "ops");
        let q = "query($d: Date) { opsReport(date: $d) { counts { name value average } chargeSuccessRate alerts { rule priority } forecast { date } } }";
        let body = server.graphql_as(&admin, q, json!({ "d": day.to_string() })).await;
        let report = &body["data"]["opsReport"];
        let figure = |name: &str| {
            report["counts"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["value"]
                .as_u64()
                .unwrap()
        };
        assert_eq!((figure("charged"), figure("chargeFailed"), figure("renewalsDue")), (8, 4, 12), "{body}");
        assert_eq!(figure("orders"), 12, "one AUTO order per renewal charged or declined");
        assert_eq!(figure("webhooksDead"), u64::try_from(dead).unwrap());
        // Four renewals failed for good, and each dead delivery.
        assert_eq!(count(db, "follow_ups WHERE kind = 'RENEWAL_FAILED_FINAL'").await, 4);
        assert_eq!(count(db, "follow_ups WHERE kind = 'WEBHOOK_DEAD'").await, dead);
        assert_eq!(figure("followUpsOpened"), u64::try_from(4 + dead).unwrap(), "{body}");
        let rate = report["chargeSuccessRate"].as_f64().unwrap();
        assert!((rate - 800.0 / 12.0).abs() < 0.01, "{rate}");
        assert_eq!(report["forecast"].as_array().unwrap().len(), 14);
        let rules: Vec<&str> =
            report["alerts"].as_array().unwrap().iter().map(|a| a["rule"].as_str().unwrap()).collect();
        assert_eq!(rules, ["CHARGE_SUCCESS_DAY", "FOLLOW_UP_RATE", "DELIVERY_FAILURES"], "{body}");
        assert_eq!(count(db, "alerts WHERE open_key IS NOT NULL").await, 3, "raised once each");
        assert_eq!(
            count(db, "follow_ups WHERE kind = 'ALERT'").await,
            3,
            "each raised alert opens a follow-up"
        );

        // Slack: answers 500 once, then every post arrives once.
        run(&ctx, jobs::JobName::DispatchWebhooks, tomorrow).await;
        run(&ctx, jobs::JobName::DispatchWebhooks, tomorrow).await;
        let posts = slack.lock().unwrap().clone();
        let headline =
            |p: &Value| p["attachments"][0]["blocks"][0]["text"]["text"].as_str().unwrap_or("").to_owned();
        let heads: Vec<String> = posts.iter().map(headline).collect();
        let distinct: std::collections::HashSet<&String> = heads.iter().collect();
        assert_eq!(distinct.len(), heads.len(), "each post once: {heads:#?}");
        // The report, three alerts, and the one HIGH follow-up (the charge-success alert's); the MEDIUM
        // and LOW follow-ups are not posted.
        assert_eq!(posts.len(), 5, "{}: {heads:#?}", server.label());
        let charge = posts.iter().find(|p| headline(p).contains("Charge success rate")).unwrap();
        assert!(headline(charge).starts_with("<!here> *[高 HIGH]"), "{}", headline(charge));
        assert_eq!(charge["attachments"][0]["color"], "#f5a623", "HIGH is orange");
        let low = posts.iter().find(|p| headline(p).contains("webhook deliveries given up")).unwrap();
        assert!(!headline(low).contains("<!here>"), "no mention below HIGH");
        assert_eq!(low["attachments"][0]["color"], "#7ed321", "LOW is green");
        let report_post = posts.iter().find(|p| headline(p).contains("Daily report")).unwrap();
        let body = report_post["attachments"][0]["blocks"][1]["text"]["text"].as_str().unwrap();
        assert!(body.contains("charged 8"), "{body}");
        assert!(slack.lock().unwrap().iter().all(|p| p["text"].is_string() && p["attachments"].is_array()));
        let url_leaks = count(
            db,
            &format!("webhook_endpoints WHERE url LIKE '%{}%'", slack_url.trim_start_matches("http://")),
        )
        .await;
        assert_eq!(url_leaks, 0, "the Slack URL is a secret: not stored");
    }
}

#[tokio::test]
async fn r16_an_alert_is_resolved_once_when_it_clears_and_bad_dates_are_refused() {
    for server in servers(|_| {}).await {
        let db = &server.db.conn;
        let ctx = jobs::JobContext::new(db.clone(), Arc::new(server.settings.clone())).unwrap();
        let late = ops::Alert {
            rule: "WEBHOOK_BACKLOG".into(),
            priority: followups::Priority::High,
            title: "backlog".into(),
            lines: vec![],
        };
        let evaluated = vec!["WEBHOOK_BACKLOG".to_owned()];
        ops::alerts::apply(db, &evaluated, std::slice::from_ref(&late), chrono::Utc::now()).await.unwrap();
        ops::alerts::apply(db, &evaluated, std::slice::from_ref(&late), chrono::Utc::now()).await.unwrap();
        assert_eq!(count(db, "events WHERE event_type = 'ops.alert_raised'").await, 1, "{}", server.label());
        // The live check finds no backlog now: resolved, once.
        run(&ctx, jobs::JobName::AlertCheck, crate::support::today()).await;
        run(&ctx, jobs::JobName::AlertCheck, crate::support::today()).await;
        assert_eq!(count(db, "events WHERE event_type = 'ops.alert_resolved'").await, 1);
        assert_eq!(count(db, "alerts WHERE open_key IS NOT NULL").await, 0);

        let admin = server.token(Role::Admin, "ops");
        let q = "query($d: Date) { opsReport(date: $d) { chargeSuccessRate } }";
        let today = platform_core::BusinessCalendar::from(&server.settings).date_of(chrono::Utc::now());
        let ahead = today.checked_add_days(chrono::Days::new(2)).unwrap();
        for date in [json!(ahead.to_string()), json!("0001-01-01"), json!("2026-13-01")] {
            let body = server.graphql_as(&admin, q, json!({ "d": date })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{date}: {body}");
        }
        let member = server.token(Role::Member, "alice@example.com");
        assert_eq!(error_codes(&server.graphql_as(&member, q, json!({ "d": null })).await), ["FORBIDDEN"]);
    }
}

#[tokio::test]
async fn r17_the_failed_charges_list_goes_once_as_a_csv_attachment_and_to_slack() {
    let smtp = test_support::smtp::SmtpReceiver::start().await.unwrap();
    let (slack_url, slack) = receiver(&[]).await;
    let configure = |s: &mut platform_core::Settings| {
        s.webhooks.allow_private_networks = true;
        s.slack.webhook_url = Some(platform_core::settings::Secret::new(slack_url.clone()));
        s.email.smtp_url = Some(platform_core::settings::Secret::new(smtp.url.clone()));
        s.ops.report_recipients = vec!["ops@example.com".into(), "lead@example.com".into()];
    };
    for server in servers(configure).await {
        slack.lock().unwrap().clear();
        let sent_before = smtp.received().len();
        let db = &server.db.conn;
        let ctx = jobs::JobContext::new(db.clone(), Arc::new(server.settings.clone())).unwrap();
        let day = platform_core::BusinessCalendar::from(&server.settings).date_of(chrono::Utc::now());
        let input =
            members::CustomerInput { name: members::Change::Set("陳美".into()), ..Default::default() };
        let (customer, _) = members::service::upsert_customer(db, input, chrono::Utc::now()).await.unwrap();
        let seed = ::renewals::bulk::Seed {
            customer_no: &customer.customer_no,
            account: None,
            promotion_code: "GC18080026",
            count: 3,
            deduct_date: day,
            payment_token: Some("tok_decline_0002"),
        };
        ::renewals::bulk::seed_due(db, seed, chrono::Utc::now()).await.unwrap();
        run(&ctx, jobs::JobName::ChargeRenewals, day).await;
        run(&ctx, jobs::JobName::FailedChargesList, day).await;
        run(&ctx, jobs::JobName::FailedChargesList, day).await;
        run(&ctx, jobs::JobName::DispatchEmails, day).await;
        run(&ctx, jobs::JobName::DispatchWebhooks, day).await;

        let lists: Vec<_> = smtp
            .received()
            .into_iter()
            .skip(sent_before)
            .filter(|m| m.data.contains("Failed charges"))
            .collect();
        assert_eq!(lists.len(), 2, "{}: once per recipient", server.label());
        let message = &lists[0].data;
        assert!(message.contains("multipart/mixed") && message.contains("failed-charges-"), "{message}");
        assert!(message.contains("3 renewal(s)"), "{message}");
        let posts = slack.lock().unwrap().clone();
        let lists: Vec<&Value> =
            posts.iter().filter(|p| p["text"].as_str().unwrap_or("").contains("Failed charges")).collect();
        assert_eq!(lists.len(), 1, "posted once: {posts:#?}");
        assert_eq!(count(db, "events WHERE event_type = 'ops.failed_charges'").await, 1);
    }
}

#[tokio::test]
async fn r16_database_unreachable_is_posted_urgent_straight_to_slack_and_recorded_when_back() {
    let (slack_url, slack) = receiver(&[]).await;
    let mut settings = platform_core::Settings::default();
    settings.webhooks.allow_private_networks = true;
    settings.slack.webhook_url = Some(platform_core::settings::Secret::new(slack_url));
    let now = chrono::Utc::now();

    // It goes away: one URGENT post, however many pings fail.
    let gone = test_support::sqlite().await;
    let conn = gone.conn.clone();
    let mut watch = platform::watch::Watch::default();
    assert_eq!(watch.check(&conn, &settings, now).await, None, "it answers");
    gone.conn.clone().close().await.unwrap();
    assert_eq!(watch.check(&conn, &settings, now).await, Some(platform::watch::Change::Down));
    assert_eq!(watch.check(&conn, &settings, now).await, None);
    let posts = slack.lock().unwrap().clone();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    let headline = posts[0]["attachments"][0]["blocks"][0]["text"]["text"].as_str().unwrap().to_owned();
    assert!(headline.starts_with("<!here> *[緊急 URGENT] The database does not answer"), "{headline}");
    assert_eq!(posts[0]["attachments"][0]["color"], "#d0021b", "URGENT is red");

    // It comes back: the episode is recorded, raised and resolved, with its follow-up.
    for db in test_support::databases().await {
        let mut watch = platform::watch::Watch::default();
        watch.observe(false, now);
        let back = watch.check(&db.conn, &settings, now + chrono::Duration::minutes(5)).await;
        assert_eq!(back, Some(platform::watch::Change::Back(now)), "{}", db.label());
        assert_eq!(count(&db.conn, "alerts WHERE rule = 'DATABASE' AND status = 'RESOLVED'").await, 1);
        assert_eq!(
            count(
                &db.conn,
                "follow_ups WHERE kind = 'ALERT' AND subject = 'alert:DATABASE' AND priority = 'URGENT'"
            )
            .await,
            1
        );
    }
}
