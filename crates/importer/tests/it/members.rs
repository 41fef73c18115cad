//! `member-profiles` (MEMBER, base64 EMAIL) and `member-customers` (MEMBERSUBNO).

use crate::{import, summary, text};
use importer::Kind;
use test_support::{count, databases};

const PROFILES: &str = "\
SERNO,EMAIL,MEMBERID,USERID,CVALIDDAYS,HVALIDDAYS,JVALIDDAYS,KVALIDDAYS,CVALIDDATE,HVALIDDATE,JVALIDDATE,KVALIDDATE,WVALIDDATE,MARKETINGYN,VERIFYSTATUS,CONTENTYN,UUID
1,dG4xNjU4QHlhaG9vLmNvbS50dw==,37743,TN1658@yahoo.com.tw,10,0,0,0,2026/12/31,,,,2027/1/31,Y,Y,N,7c9e6679-7425-40de-944b-e07fc1f90ae7
2,plain@example.com,37744,plain@example.com,,,,,,,,,,N,N,Y,
3,,37745,,,,,,,,,,,N,N,N,
4,x@example.com,37746,other@example.com,,,,,,,,,,maybe,N,N,
5,y@example.com,37747,y@example.com,,,,,,,,,,N,N,N,not-a-uuid
";

#[tokio::test]
async fn r14_member_profiles_decode_base64_emails_and_keep_the_tradevan_fields() {
    for db in databases().await {
        let (first, rejects) = import(&db, Kind::MemberProfiles, PROFILES).await;
        assert_eq!(first, summary(5, 2, 0, 0, 3), "{}", db.label());
        assert!(
            rejects.contains("\n4,USERID")
                && rejects.contains("\n5,\"MARKETINGYN")
                && rejects.contains("\n6,\"UUID"),
            "{rejects}"
        );
        // The account is canonical (lower case); the EMAIL arrived base64-encoded and is stored decoded.
        assert_eq!(
            text(&db, "SELECT email FROM members WHERE account = 'tn1658@yahoo.com.tw'").await.as_deref(),
            Some("tn1658@yahoo.com.tw")
        );
        let info =
            text(&db, "SELECT trade_van_member_info FROM members WHERE account = 'tn1658@yahoo.com.tw'")
                .await
                .unwrap();
        let info: serde_json::Value = serde_json::from_str(&info).unwrap();
        assert_eq!(info["memberId"], "37743");
        assert_eq!(info["cValidDays"], 10);
        assert_eq!(info["wValidDate"], "2027-01-31");
        assert_eq!(
            count(&db.conn, "members WHERE marketing_opt_in AND verified AND NOT content_opt_in").await,
            1
        );

        let (again, _) = import(&db, Kind::MemberProfiles, PROFILES).await;
        assert_eq!(again, summary(5, 0, 0, 2, 3), "{}: a re-run changes nothing", db.label());
        let changed = PROFILES.replace("N,N,Y,\n3", "Y,N,Y,\n3");
        let (third, _) = import(&db, Kind::MemberProfiles, &changed).await;
        assert_eq!(third, summary(5, 0, 1, 1, 3), "{}: only the changed member is updated", db.label());
        // The UUID a member was created with never changes.
        assert_eq!(count(&db.conn, "members").await, 2);
    }
}

const LINKS: &str = "\
SERNO,USERID,SUBNO,KNOWLEDGEYN,CREATEUSER,CREATETIME,UPDATEUSER,UPDATETIME,SYSMEMO
1,plain@example.com,CW0000001,N,SYS,2020-10-23 12:34:56.000,SYS,2020-10-23 12:34:56.000,
2,nobody@example.com,CW0000001,N,SYS,,SYS,,
3,plain@example.com,CW0000404,N,SYS,,SYS,,
4,tn1658@yahoo.com.tw,CW0000001,N,SYS,2020/10/23,SYS,,
5,plain@example.com,CW0000001,N,SYS,,SYS,,
";

#[tokio::test]
async fn r14_member_customers_link_existing_members_and_customers_once() {
    for db in databases().await {
        import(&db, Kind::MemberProfiles, PROFILES).await;
        import(&db, Kind::Customers, "customerNo,name\nCW0000001,陳志明\n").await;
        let (first, rejects) = import(&db, Kind::MemberCustomers, LINKS).await;
        assert_eq!(first, summary(5, 2, 0, 1, 2), "{}", db.label());
        assert!(rejects.contains("3,USERID: no member nobody@example.com"), "{rejects}");
        assert!(rejects.contains("4,SUBNO: no customer CW0000404"), "{rejects}");
        assert_eq!(count(&db.conn, "member_customers").await, 2);
        let (again, _) = import(&db, Kind::MemberCustomers, LINKS).await;
        assert_eq!(again, summary(5, 0, 0, 3, 2), "{}", db.label());
        // CREATETIME (Taipei) is the link's time.
        let linked = text(&db, "SELECT CAST(l.linked_at AS TEXT) FROM member_customers l JOIN members m ON m.id = l.member_id WHERE m.account = 'plain@example.com'").await.unwrap();
        assert!(linked.starts_with("2020-10-23"), "{linked}");
    }
}
