//! R15: a masked copy keeps no one's e-mail, name, phone, address or token; production is refused.

use crate::entitlements_erp::holders;
use crate::{at, import};
use importer::Kind;
use importer::anonymize::{AnonymizeError, anonymize, environment, set_environment};
use test_support::{count, databases};

#[tokio::test]
async fn r15_anonymize_leaves_no_original_email_name_phone_or_token_behind() {
    for db in databases().await {
        holders(&db).await;
        import(
            &db,
            Kind::MemberProfiles,
            "USERID,EMAIL,MEMBERID,CVALIDDAYS\ntn1658@yahoo.com.tw,dG4xNjU4QHlhaG9vLmNvbS50dw==,37743,3\n",
        )
        .await;
        let far = (crate::cutover() + chrono::Duration::days(60)).format("%Y/%-m/%-d");
        import(
            &db,
            Kind::RenewalsErp,
            &format!(
                "CUSTOMER_NUMBER,PROMOTION,CREDIT_CARD_NUMBER,SH_MOBILE,SH_EMAIL,GC_SUB_END_DATE,CUSTOMER_NAME,SHIP_ADDRESS,PAYMENT_TOKEN\n\
                 CW0000777,GC18080026,4311952222222222,0910588882,kuo88888@gmail.com,{far},郭小明,復興南路1號,tok_secret_777\n"
            ),
        )
        .await;
        // The ERP master's contacts (R21).
        let contact = members::model::Contact {
            name: Some("王經理".into()),
            addresses: vec![members::Address {
                street: Some("松江路93巷".into()),
                ..members::Address::default()
            }],
            phones: vec!["0225078627".into()],
            emails: vec!["wang.erp@example.com".into()],
        };
        let input = members::CustomerInput {
            customer_no: Some("CW0000001".into()),
            contacts: members::Change::Set(vec![contact]),
            ..members::CustomerInput::default()
        };
        members::service::upsert_customer(&db.conn, input, at()).await.unwrap();
        let originals = [
            "王經理",
            "松江路93巷",
            "0225078627",
            "wang.erp",
            "chen@example.com",
            "陳志明",
            "tn1658",
            "a@example.com",
            "kuo88888",
            "郭小明",
            "0910588882",
            "復興南路",
            "tok_secret_777",
            "37743",
        ];
        let columns = [
            (
                "members",
                "account || ' ' || COALESCE(email, '') || ' ' || COALESCE(name, '') || ' ' || COALESCE(phone, '') || ' ' || COALESCE(trade_van_member_info, '')",
            ),
            (
                "customers",
                "COALESCE(name, '') || ' ' || COALESCE(email, '') || ' ' || COALESCE(phone, '') || ' ' || COALESCE(mobile, '') || ' ' || COALESCE(street, '')",
            ),
            (
                "renewals",
                "COALESCE(payment_token, '') || ' ' || COALESCE(receiver, '') || ' ' || COALESCE(invoice, '')",
            ),
            ("events", "payload"),
            ("emails", "COALESCE(to_address, '') || ' ' || data"),
            ("customer_contacts", "COALESCE(name, '')"),
            ("customer_contact_points", "COALESCE(value, '') || ' ' || COALESCE(street, '')"),
        ];
        let found = |db: &test_support::TestDb| {
            let db = db.conn.clone();
            async move {
                let mut found = Vec::new();
                for original in originals {
                    for (table, expression) in columns {
                        if count(&db, &format!("{table} WHERE {expression} LIKE '%{original}%'")).await > 0 {
                            found.push(format!("{original} in {table}"));
                        }
                    }
                }
                found
            }
        };
        assert!(found(&db).await.len() >= originals.len(), "the fixture holds every original");

        set_environment(&db.conn, "production", at()).await.unwrap();
        assert!(matches!(anonymize(&db.conn, at()).await, Err(AnonymizeError::Production)));
        // Tokens are sealed at rest (R23): the fixture's is stored, but never in clear.
        let sealed = "renewals WHERE payment_token LIKE 'tk1:%'";
        assert_eq!(count(&db.conn, sealed).await, 1, "refused: nothing changed");
        assert!(!found(&db).await.iter().any(|f| f.contains("tok_secret_777")), "no token in clear");

        set_environment(&db.conn, "development", at()).await.unwrap();
        let masked = anonymize(&db.conn, at()).await.unwrap();
        assert!(masked.tables.iter().any(|(t, n)| *t == "customers" && *n >= 5));
        assert_eq!(found(&db).await, Vec::<String>::new(), "{}", db.label());
        assert_eq!(count(&db.conn, "renewals WHERE payment_token IS NOT NULL").await, 0, "tokens cleared");
        assert_eq!(
            count(&db.conn, "members WHERE email LIKE 'dev+%@example.invalid'").await,
            count(&db.conn, "members").await
        );
        assert_eq!(
            count(&db.conn, "customers WHERE name LIKE '% テスト'").await,
            count(&db.conn, "customers").await
        );
        assert_eq!(environment(&db.conn).await.unwrap().as_deref(), Some("development"));
        assert!(matches!(
            set_environment(&db.conn, "prod", at()).await,
            Err(AnonymizeError::UnknownEnvironment(_))
        ));
    }
}
