//! Shared set-up: the demo catalog, paid orders by one holder, the simulated gateway.

use aftersale::returns::Context;
use catalog::Catalog;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use members::service::upsert_member;
use members::{Change, CustomerInput, MemberInput};
use orders::model::{LineInput, NewOrder, Payer, PaymentReport, PaymentResult, Receiver};
use orders::service::OrderService;
use payments::SimulatedGateway;
use platform_core::BusinessCalendar;
use std::time::Duration;
use test_support::TestDb;

/// 10:00 in Taipei on 2026-11-22 plus `hours`.
pub(crate) fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap() + chrono::Duration::hours(hours)
}

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

pub(crate) struct World {
    pub(crate) orders: OrderService,
    pub(crate) gateway: SimulatedGateway,
    payers: std::sync::Mutex<std::collections::HashMap<usize, String>>,
}

impl World {
    pub(crate) async fn new(db: &TestDb) -> World {
        catalog::demo::load(&db.conn, today()).await.unwrap();
        let orders = OrderService::new(
            db.conn.clone(),
            Catalog::new(db.conn.clone(), Duration::from_secs(5)),
            BusinessCalendar::default(),
            "A01".into(),
        );
        World {
            orders,
            gateway: SimulatedGateway::new(db.conn.clone(), Duration::ZERO),
            payers: Default::default(),
        }
    }

    pub(crate) fn ctx(&self) -> Context<'_, SimulatedGateway> {
        Context {
            orders: &self.orders,
            gateway: &self.gateway,
            calendar: BusinessCalendar::default(),
            timeout: Duration::from_secs(5),
        }
    }

    /// An order of `lines` (item or promotion, quantity, amount) by holder `n` (a member bound to it), with
    /// shipping `fee`; paid (with its entitlements granted) when `paid`.
    pub(crate) async fn order(
        &self,
        n: usize,
        key: &str,
        lines: &[(&str, i32, i64)],
        fee: i64,
        paid: bool,
    ) -> String {
        let account = format!("holder{n}@example.com");
        let db = self.orders.db();
        upsert_member(db, MemberInput { account: account.clone(), ..MemberInput::default() }, at(0))
            .await
            .unwrap();
        let customer = self.payers.lock().unwrap().get(&n).cloned();
        let payer = match customer {
            Some(no) => Payer::Existing(no),
            None => Payer::New(Box::new(CustomerInput {
                name: Change::Set("王小明".into()),
                email: Change::Set(account.clone()),
                ..CustomerInput::default()
            })),
        };
        let input = NewOrder {
            idempotency_key: key.to_owned(),
            source: Some(orders::OrderSource::Ec),
            member_account: Some(account.clone()),
            payer,
            receiver: Receiver {
                name: "王小明".into(),
                phone: Some("0223456789".into()),
                ..Receiver::default()
            },
            lines: lines
                .iter()
                .map(|(item, quantity, amount)| LineInput {
                    item_no: (*item).into(),
                    quantity: *quantity,
                    amount: *amount,
                })
                .collect(),
            shipping_fee: fee,
            payment_method: Some("CREDIT_CARD".into()),
            payment_token: Some(format!("tok_ok_{key}")),
            card_last4: Some("4242".into()),
            ..NewOrder::default()
        };
        let (order, _) = self.orders.create(input, at(0)).await.unwrap();
        self.payers.lock().unwrap().insert(n, order.payer_customer_no.clone());
        if paid {
            self.pay(&order.order_no, &format!("T-{key}"), order.total_amount.amount()).await;
        }
        order.order_no
    }

    pub(crate) async fn pay(&self, order_no: &str, transaction: &str, amount: i64) {
        let report = PaymentReport {
            order_no: order_no.to_owned(),
            transaction_id: transaction.to_owned(),
            status: PaymentResult::Paid,
            amount,
            paid_at: Some(at(0)),
        };
        self.orders.record_payment(report, at(0)).await.unwrap();
        entitlements::grant::grant_order(self.orders.db(), BusinessCalendar::default(), order_no, at(0))
            .await
            .unwrap();
    }
}

impl World {
    /// Holder `n`'s entitlement to `product` (print: by its customer; digital: by its member).
    pub(crate) async fn entitlement(&self, n: usize, product: &str) -> entitlements::Entitlement {
        let account = members::Account::parse(&format!("holder{n}@example.com")).unwrap();
        let customer = self.payer(n);
        let found = entitlements::query::entitlements_of(
            self.orders.db(),
            Some(&customer),
            Some(&account),
            Some(product),
        )
        .await
        .unwrap();
        found.into_iter().next().unwrap_or_else(|| panic!("holder {n} has no {product}"))
    }

    pub(crate) fn payer(&self, n: usize) -> String {
        self.payers.lock().unwrap().get(&n).cloned().unwrap()
    }
}
