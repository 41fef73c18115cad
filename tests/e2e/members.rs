//! The EC's member flow over HTTP (seed 004: 索取UUID, ssoUpdMember, MEMBERSUBNO) with a service token, a
//! member reading itself, e-mail history in the event log, and bad input. On SQLite and PostgreSQL.

use crate::support::{error_codes, servers};
use members::Role;
use serde_json::json;

const UPSERT: &str = r#"mutation($input: MemberInput!) {
    upsertMember(input: $input) { account uuid email name marketingOptIn
        nineOneMemberInfo { profession jobPosition email }
        tradeVanMemberInfo { memberId cValidDays wValidDate } } }"#;

#[tokio::test]
async fn ec_backend_requests_a_uuid_creates_a_member_links_a_customer_and_reads_it_back() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let uuid = server.graphql_as(&service, "mutation { requestUuid }", json!({})).await;
        let uuid = uuid["data"]["requestUuid"].as_str().unwrap().to_owned();

        let input = json!({
            "account": " Sun1229@Gmail.com ", "uuid": uuid, "email": "sun1229@gmail.com", "name": "孫小美",
            "marketingOptIn": true,
            "nineOneMemberInfo": { "profession": "FinanceOrInsurance", "jobPosition": "企業負責人",
                                   "email": "sun1229+91app@gmail.com" },
            "tradeVanMemberInfo": { "MEMBERID": "37743", "CVALIDDAYS": 120, "WVALIDDATE": "2027-03-31" },
        });
        let body = server.graphql_as(&service, UPSERT, json!({ "input": input })).await;
        assert!(body["errors"].is_null(), "{}: {body}", server.label());
        let member = &body["data"]["upsertMember"];
        assert_eq!(member["account"], "sun1229@gmail.com");
        assert_eq!(member["uuid"], uuid.as_str());
        assert_eq!(member["nineOneMemberInfo"]["jobPosition"], "企業負責人");
        assert_eq!(member["tradeVanMemberInfo"]["cValidDays"], 120);
        assert_eq!(member["tradeVanMemberInfo"]["wValidDate"], "2027-03-31");

        let body = server
            .graphql_as(
                &service,
                r#"mutation {
                    upsertCustomer(input: { customerNo: "A0012345", name: "孫小美", mobile: "0912345678",
                        address: { city: "台北市", street: "南京東路二段139號" } }) { customerNo }
                    linkMemberCustomer(account: "SUN1229@gmail.com", customerNo: "A0012345") { account }
                }"#,
                json!({}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");

        let read = r#"query($account: String) { member(account: $account) { account uuid
            customers { customerNo name address { city street } } } }"#;
        let body = server.graphql_as(&service, read, json!({ "account": "sun1229@gmail.com" })).await;
        assert_eq!(body["data"]["member"]["customers"][0]["customerNo"], "A0012345", "{body}");
        assert_eq!(body["data"]["member"]["customers"][0]["address"]["city"], "台北市");
        let body = server
            .graphql_as(
                &service,
                r#"{ customer(customerNo: "A0012345") { members { account } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(body["data"]["customer"]["members"][0]["account"], "sun1229@gmail.com", "{body}");

        // The member reads itself (its token's account in any case), not others.
        let own = server.token(Role::Member, "sun1229@gmail.com");
        let body = server.graphql_as(&own, read, json!({ "account": "Sun1229@gmail.com" })).await;
        assert_eq!(body["data"]["member"]["uuid"], uuid.as_str(), "{body}");
        let body = server.graphql_as(&own, read, json!({ "account": "someone@else.com" })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        let body =
            server.graphql_as(&own, r#"{ customer(customerNo: "A0012345") { name } }"#, json!({})).await;
        assert_eq!(body["data"]["customer"]["name"], "孫小美", "its linked customer: {body}");
        // An unknown member is null for a service.
        let body = server.graphql_as(&service, read, json!({ "account": "nobody@example.com" })).await;
        assert!(body["data"]["member"].is_null() && body["errors"].is_null(), "{body}");
    }
}

#[tokio::test]
async fn changing_the_email_keeps_its_history_in_the_event_log() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "member-api");
        for email in ["first@example.com", "second@example.com", "second@example.com", "third@example.com"] {
            let input = json!({ "account": "history@example.com", "email": email });
            let body = server.graphql_as(&service, UPSERT, json!({ "input": input })).await;
            assert!(body["errors"].is_null(), "{body}");
        }
        let admin = server.token(Role::Admin, "ops");
        let body = server
            .graphql_as(
                &admin,
                r#"{ events(filter: { type: "member.email_changed" }) {
                    edges { node { type subject payload occurredAt } } } }"#,
                json!({}),
            )
            .await;
        let changes: Vec<(String, String)> = body["data"]["events"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let payload = &e["node"]["payload"];
                (payload["from"].as_str().unwrap().to_owned(), payload["to"].as_str().unwrap().to_owned())
            })
            .collect();
        assert_eq!(
            changes,
            [
                ("first@example.com".to_owned(), "second@example.com".to_owned()),
                ("second@example.com".to_owned(), "third@example.com".to_owned())
            ],
            "{}: {body}",
            server.label()
        );
    }
}

#[tokio::test]
async fn bad_member_input_is_refused_with_the_field_named_and_nothing_written() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let existing = json!({ "account": "taken@example.com" });
        assert!(server.graphql_as(&service, UPSERT, json!({ "input": existing })).await["errors"].is_null());
        let fresh = server.graphql_as(&service, "mutation { requestUuid }", json!({})).await;
        let fresh = fresh["data"]["requestUuid"].clone();

        let cases = [
            (json!({ "account": "new@example.com", "email": "not-an-email" }), "BAD_USER_INPUT", "email: "),
            (json!({ "account": "   " }), "BAD_USER_INPUT", "account: "),
            (json!({ "account": "a b@example.com" }), "BAD_USER_INPUT", "account: "),
            (
                json!({ "account": "new@example.com", "uuid": "6f1c1a5e-0000-4000-8000-000000000000" }),
                "BAD_USER_INPUT",
                "uuid: unknown uuid",
            ),
            (json!({ "account": "Taken@Example.com", "uuid": fresh }), "CONFLICT", "account: "),
            (
                json!({ "account": "new@example.com",
                        "tradeVanMemberInfo": { "memberId": "x".repeat(members::MAX_PROFILE_BYTES) } }),
                "BAD_USER_INPUT",
                "a string input is longer than 4096 characters",
            ),
            (
                json!({ "account": "new@example.com", "nineOneMemberInfo": { "email": "nope" } }),
                "BAD_USER_INPUT",
                "nineOneMemberInfo.email: ",
            ),
        ];
        for (input, code, message) in cases {
            let body = server.graphql_as(&service, UPSERT, json!({ "input": input })).await;
            assert_eq!(error_codes(&body), [code], "{}: {input}: {body}", server.label());
            let got = body["errors"][0]["message"].as_str().unwrap();
            assert!(got.starts_with(message), "{input}: expected {message:?}, got {got:?}");
        }
        let body = server
            .graphql_as(&service, r#"mutation { linkMemberCustomer(account: "taken@example.com", customerNo: "NOPE") { account } }"#, json!({}))
            .await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let body = server
            .graphql_as(
                &service,
                r#"{ member(account: "a", uuid: "6f1c1a5e-0000-4000-8000-000000000000") { account } }"#,
                json!({}),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

        // Nothing of the refused requests was written: still the one member.
        let admin = server.token(Role::Admin, "ops");
        let body = server
            .graphql_as(
                &admin,
                r#"{ events(filter: { type: "member.created" }) { edges { node { payload } } } }"#,
                json!({}),
            )
            .await;
        assert_eq!(body["data"]["events"]["edges"].as_array().unwrap().len(), 1, "{body}");
    }
}
