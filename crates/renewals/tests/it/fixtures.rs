//! Shared set-up: the demo catalog, a member with a paid and granted order, renewal input.

use catalog::Catalog;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use members::service::upsert_member;
use members::{Change, CustomerInput, MemberInput};
use orders::model::{LineInput, NewOrder, Payer, PaymentReport, PaymentResult, Receiver};
use orders::service::OrderService;
use platform_core::BusinessCalendar;
use renewals::service::NewRenewal;
use std::time::Duration;
use test_support::TestDb;

pub(crate) fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap()
}

/// 10:00 in Taipei on `day`.
pub(crate) fn on(day: NaiveDate) -> DateTime<Utc> {
    BusinessCalendar::default().start_of(day) + chrono::Duration::hours(10)
}

/// A charge runner over `db` with `gateway`.
pub(crate) fn runner<G: payments::PaymentGateway + Clone + 'static>(
    db: &TestDb,
    gateway: G,
    settings: platform_core::settings::RenewalSettings,
) -> renewals::charge::ChargeRun<G> {
    renewals::charge::ChargeRun::new(
        orders(db),
        BusinessCalendar::default(),
        gateway,
        settings,
        Duration::from_secs(5),
    )
}

pub(crate) fn orders(db: &TestDb) -> OrderService {
    OrderService::new(
        db.conn.clone(),
        Catalog::new(db.conn.clone(), Duration::from_secs(5)),
        BusinessCalendar::default(),
        "A01".into(),
    )
}

/// A paid order of `promotion` (at `amount`) by a new customer `王小明 <holder<n>@example.com>`, bound to
/// member `holder<n>@example.com` when `bound`, with its entitlements granted; returns (order, customer,
/// account).
pub(crate) async fn paid_order(
    db: &TestDb,
    n: usize,
    promotion: &str,
    amount: i64,
    token: Option<&str>,
    bound: bool,
) -> (String, String, String) {
    catalog::demo::load(&db.conn, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).await.unwrap();
    let account = format!("holder{n}@example.com");
    upsert_member(&db.conn, MemberInput { account: account.clone(), ..MemberInput::default() }, at())
        .await
        .unwrap();
    let orders = orders(db);
    let input = NewOrder {
        idempotency_key: format!("r-{n}"),
        source: Some(orders::OrderSource::Ec),
        member_account: bound.then(|| account.clone()),
        payer: Payer::New(Box::new(CustomerInput {
            name: Change::Set("王小明".into()),
            email: Change::Set(account.clone()),
            ..CustomerInput::default()
        })),
        receiver: Receiver {
            name: "王小明".into(), phone: Some("0223456789".into()), ..Receiver::default()
        },
        lines: vec![LineInput { item_no: promotion.into(), quantity: 1, amount }],
        payment_method: Some("CREDIT_CARD".into()),
        payment_token: token.map(str::to_owned),
        card_last4: token.map(|_| "4242".to_owned()),
        ..NewOrder::default()
    };
    let (order, _) = orders.create(input, at()).await.unwrap();
    let report = PaymentReport {
        order_no: order.order_no.clone(),
        transaction_id: format!("T-r-{n}"),
        status: PaymentResult::Paid,
        amount,
        paid_at: Some(at()),
    };
    orders.record_payment(report, at()).await.unwrap();
    entitlements::grant::grant_order(&db.conn, BusinessCalendar::default(), &order.order_no, at())
        .await
        .unwrap();
    (order.order_no, order.payer_customer_no, account)
}

/// A customer and member holding 天下 (print) and 全閱讀 (digital) from a paid, bound GC18080026 order.
pub(crate) async fn holder(db: &TestDb, n: usize) -> (String, String) {
    let (_, customer_no, account) = paid_order(db, n, "GC18080026", 3480, None, true).await;
    (customer_no, account)
}

pub(crate) fn renewal(customer_no: &str, account: &str, promotion: &str) -> NewRenewal {
    NewRenewal {
        customer_no: customer_no.to_owned(),
        member_account: Some(account.to_owned()),
        promotion_code: promotion.to_owned(),
        card_last4: Some("4242".into()),
        payment_token: Some("tok_ok_secret".into()),
        ..NewRenewal::default()
    }
}

/// An EC backend: a caller that may act on any renewal.
pub(crate) fn ops() -> members::Principal {
    members::Principal::Service { subject: "ec".into() }
}
