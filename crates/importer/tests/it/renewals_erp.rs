//! `renewals-erp`: seed defaults, R5 deduct dates, last 4 digits only, NO_PAYMENT_METHOD, tokens later.

use crate::entitlements_erp::{erp_file, gcv_issues, holders};
use crate::{at, cutover, import, text};
use chrono::Duration;
use importer::Kind;
use test_support::{count, databases};

const HEADER: &str = "CUSTOMER_NUMBER,CUSTOMER_ID,GC_ORDER_NUMBER,PROD_TYPE,SEGMENT1,PROMOTION,CREDIT_CARD_NUMBER,C_CARD_EXP_DATE,SH_MOBILE,SH_EMAIL,GC_SUB_END_DATE,GC_SUB_END_VOLUMN,KC_SUB_END_DATE,CUSTOMER_NAME,COUNTRY,POSTAL_CODE,TOWN_OR_CITY,SHIP_ADDRESS,FREIGHT_CHARGE";

pub(crate) fn file(token: Option<&str>) -> String {
    let header = match token {
        Some(_) => format!("{HEADER},PAYMENT_TOKEN"),
        None => HEADER.to_owned(),
    };
    let token = token.map(|t| format!(",{t}")).unwrap_or_default();
    let far = (cutover() + Duration::days(90)).format("%Y/%-m/%-d");
    format!(
        "{header}\n\
         CW0000001,400001,601038327,P+E,KCW000015,GC18080026,4311-9522-2222-2222,2028/9/1,0910588882,kuo88888@gmail.com,,736,,郭小明,台灣,106,臺北市大安區,復興南路1號,60{token}\n\
         CW0000009,400009,601038328,P,GCV000001,GC18080026,570224,2028/9/1,0910588883,new@example.com,{far},,,新客戶,台灣,100,臺北市中正區,忠孝東路1號,0{token}\n\
         CW0000002,400002,601038329,P,GCV000001,NOPE,,,,,,,,,,,,,{token}\n\
         CW0000003,400003,601038330,P,GCV000001,GC18080026,,,,,,,,,,,,,{token}\n"
    )
}

#[tokio::test]
async fn r14_r5_r9_erp_renewals_follow_the_live_rules_and_fail_without_a_card_token() {
    for db in databases().await {
        holders(&db).await;
        let issues = gcv_issues(&db).await;
        let future = issues.iter().find(|(_, d)| *d > cutover()).unwrap().0 + 3;
        import(&db, Kind::EntitlementsErp, &erp_file(future, future, future)).await;

        let (first, rejects) = import(&db, Kind::RenewalsErp, &file(None)).await;
        assert_eq!((first.read, first.inserted, first.rejected), (4, 2, 2), "{}: {rejects}", db.label());
        assert!(rejects.contains("4,") && rejects.contains("no promotion NOPE"), "{rejects}");
        assert!(rejects.contains("5,") && rejects.contains("no end date"), "{rejects}");

        // R5: the day before the earliest due date of the plan's products (GCV on the customer, KCW on the member).
        let gcv_due = issues.iter().find(|(v, _)| *v == future + 1).unwrap().1;
        let deduct = gcv_due.min(chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()) - Duration::days(1);
        let row = text(&db, "SELECT CAST(r.deduct_date AS TEXT) || ' ' || CAST(r.deduct_price AS TEXT) || ' ' || CAST(r.shipping_fee AS TEXT) || ' ' || r.payment_card || ' ' || r.product_name || ' ' || r.origin_order_no || ' ' || CAST(r.renew_status AS TEXT) FROM renewals r JOIN customers c ON c.id = r.customer_id WHERE c.customer_no = 'CW0000001'").await;
        assert_eq!(row, Some(format!("{deduct} 3480 60 2222 P+E 601038327 1")), "{}", db.label());
        // The renewal is the linked member's too; the new customer has none.
        assert_eq!(
            count(
                &db.conn,
                "renewals r JOIN customers c ON c.id = r.customer_id JOIN member_customers mc \
                 ON mc.customer_id = c.id AND mc.member_id = r.member_id WHERE c.customer_no = 'CW0000001'"
            )
            .await,
            1,
            "{}",
            db.label()
        );
        assert_eq!(
            count(
                &db.conn,
                "renewals r JOIN customers c ON c.id = r.customer_id \
                 WHERE c.customer_no = 'CW0000009' AND r.member_id IS NULL"
            )
            .await,
            1
        );
        // A customer the platform did not know is created from the row; the export's date is its deduct date.
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE customer_no = 'CW0000009'").await.as_deref(),
            Some("新客戶")
        );
        // Only the last 4 digits of a card survive.
        assert_eq!(
            count(&db.conn, "renewals WHERE payment_card = '0224' AND payment_token IS NULL").await,
            1
        );
        assert_eq!(
            count(&db.conn, "renewals WHERE payment_card LIKE '%9522%' OR receiver LIKE '%4311%'").await,
            0
        );

        // R5 again when a later export moves the magazine on by two issues: the pending renewal follows.
        let moved = format!("CUSTOMER_ID,GC_SUB_END_VOLUMN\n400001,{}\n", future + 2);
        let (extended, _) = import(&db, Kind::EntitlementsErp, &moved).await;
        assert_eq!(extended.updated, 1);
        let gcv_due = issues.iter().find(|(v, _)| *v == future + 3).unwrap().1;
        let deduct = gcv_due.min(chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap()) - Duration::days(1);
        let rescheduled = text(&db, "SELECT CAST(r.deduct_date AS TEXT) FROM renewals r JOIN customers c ON c.id = r.customer_id WHERE c.customer_no = 'CW0000001'").await;
        assert_eq!(rescheduled, Some(deduct.to_string()), "{}", db.label());
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.rescheduled'").await, 1);

        let (again, _) = import(&db, Kind::RenewalsErp, &file(None)).await;
        assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2), "{}", db.label());

        // R9: a migrated renewal without a token fails with NO_PAYMENT_METHOD on its deduct date.
        let runner = renewals::charge::ChargeRun::new(
            orders::service::OrderService::new(
                db.conn.clone(),
                catalog::Catalog::new(db.conn.clone(), std::time::Duration::from_secs(5)),
                platform_core::BusinessCalendar::default(),
                "A01".into(),
            ),
            platform_core::BusinessCalendar::default(),
            payments::SimulatedGateway::new(db.conn.clone(), std::time::Duration::ZERO),
            platform_core::settings::RenewalSettings::default(),
            std::time::Duration::from_secs(5),
        );
        let when = platform_core::BusinessCalendar::default().start_of(deduct) + Duration::hours(10);
        runner.run(renewals::charge::Due::Scheduled, deduct, when).await.unwrap();
        assert_eq!(
            count(&db.conn, "renewals WHERE renew_status = 3 AND failure_reason LIKE '%NO_PAYMENT_METHOD%'")
                .await,
            1,
            "{}",
            db.label()
        );

        // When the gateway has converted the cards, a re-run with PAYMENT_TOKEN fills in the pending one.
        let (tokens, _) = import(&db, Kind::RenewalsErp, &file(Some("tok_ok_migrated"))).await;
        assert_eq!((tokens.inserted, tokens.updated, tokens.unchanged), (0, 1, 1), "{}", db.label());
        assert_eq!(
            count(&db.conn, "renewals WHERE payment_token LIKE 'tk1:%' AND renew_status = 1").await,
            1,
            "sealed at rest (R23)"
        );
        assert_eq!(count(&db.conn, "renewals WHERE payment_token LIKE '%tok_ok_migrated%'").await, 0);

        // …and the migrated subscriber renews like a native one: charged on its deduct date (the export's
        // date, as CW0000009 held nothing), an AUTO order paid, the next cycle pending.
        let due = cutover() + Duration::days(90);
        let when = platform_core::BusinessCalendar::default().start_of(due) + Duration::hours(10);
        let charged = runner.run(renewals::charge::Due::Scheduled, due, when).await.unwrap();
        assert_eq!(charged.charged, 1, "{}: {charged:?}", db.label());
        let renewed = "renewals r JOIN customers c ON c.id = r.customer_id WHERE c.customer_no = 'CW0000009'";
        assert_eq!(count(&db.conn, &format!("{renewed} AND r.renew_status = 2 AND r.cycle = 1")).await, 1);
        assert_eq!(count(&db.conn, &format!("{renewed} AND r.renew_status = 1 AND r.cycle = 2")).await, 1);
        assert_eq!(
            count(&db.conn, "orders o JOIN customers c ON c.id = o.payer_customer_id WHERE c.customer_no = 'CW0000009' AND o.source = 'AUTO' AND o.payment_status = 'PAID' AND o.total_amount = 3480").await,
            1,
            "{}",
            db.label()
        );
        assert_eq!(
            count(&db.conn, "entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE c.customer_no = 'CW0000009' AND e.product_code = 'GCV' AND e.subscribe_status = 1").await,
            1,
            "the paid renewal granted the magazine"
        );
        let _ = at();
    }
}

/// Issue #14: a `FREIGHT_CHARGE` past the amount bound (it was charged as NT$100,000,003,479) is a reject,
/// and the rejects file of refused rows holds no card number, no token and no live formula, and is readable
/// by its owner only.
#[tokio::test]
async fn amounts_are_bounded_and_the_rejects_file_keeps_no_secret() {
    for db in databases().await {
        holders(&db).await;
        let far = (cutover() + Duration::days(90)).format("%Y/%-m/%-d");
        let csv = format!(
            "{HEADER},PAYMENT_TOKEN\n\
             CW0000009,400009,601038401,P,GCV000001,GC18080026,4311-9522-2222-2222,2028/9/1,,,{far},,,新客戶,台灣,100,臺北市,忠孝東路1號,99999999999,tok_ok_secret_one\n\
             CW0000009,400009,601038402,P,GCV000001,GC18080026,4311952222222222,2028/9/1,,,{far},,,新客戶,台灣,100,臺北市,忠孝東路1號,99999000,tok_ok_secret_two\n\
             CW0000009,400009,601038403,P,GCV000001,NOPE,4111 1111 1111 1111,2028/9/1,,,{far},,,=HYPERLINK(\"http://x\"),台灣,100,臺北市,@SUM(A1),0,tok_ok_secret_three\n"
        );
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("renewals.rejects.csv");
        std::fs::write(&path, "stale\n").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        let mut rejects = importer::Rejects::to_file(&path);
        let summary = importer::import(
            &db.conn,
            Kind::RenewalsErp,
            csv.as_bytes(),
            &crate::options(),
            &mut rejects,
            &mut |_| {},
        )
        .await
        .unwrap();
        assert_eq!((summary.read, summary.inserted, summary.rejected), (3, 0, 3), "{}", db.label());
        assert_eq!(count(&db.conn, "renewals").await, 0, "{}", db.label());
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(written.contains("FREIGHT_CHARGE: must be between 0 and 100000000 TWD"), "{written}");
        assert!(written.contains("the plan's price plus the shipping fee must be between"), "{written}");
        for secret in ["tok_ok_secret", "9522", "4311", "4111 1111"] {
            assert!(!written.contains(secret), "{secret} in {written}");
        }
        assert!(written.contains("****2222") && written.contains("****1111"), "{written}");
        assert!(written.contains("'=HYPERLINK") && written.contains("'@SUM(A1)"), "{written}");
        assert!(!written.contains(",=HYPERLINK") && !written.contains("stale"), "{written}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}

/// Another domain's refusal passes through with its code: a customer the members domain refuses (an ERP id
/// longer than it keeps) rejects that row, named by the field, and the rest of the file is imported. It was
/// an unexpected error once (the import stopped with INTERNAL).
#[tokio::test]
async fn r14_a_row_whose_customer_the_members_domain_refuses_is_rejected_and_the_import_goes_on() {
    for db in databases().await {
        holders(&db).await;
        let issues = gcv_issues(&db).await;
        let future = issues.iter().find(|(_, d)| *d > cutover()).unwrap().0 + 3;
        import(&db, Kind::EntitlementsErp, &erp_file(future, future, future)).await;

        let long_id = "9".repeat(40);
        let file = file(None).replace(",400009,", &format!(",{long_id},"));
        let (summary, rejects) = import(&db, Kind::RenewalsErp, &file).await;
        assert_eq!(
            (summary.read, summary.inserted, summary.rejected),
            (4, 1, 3),
            "{}: {rejects}",
            db.label()
        );
        assert!(
            rejects.contains("3,") && rejects.contains("customerId: must be at most 32 characters"),
            "{}: {rejects}",
            db.label()
        );
        assert_eq!(count(&db.conn, "customers WHERE customer_no = 'CW0000009'").await, 0, "{}", db.label());
    }
}
