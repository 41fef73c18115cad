//! Operations over HTTP (R16, R17): the follow-up queue for admins.

use crate::support::{error_codes, servers};
use members::Role;
use serde_json::{Value, json};
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
