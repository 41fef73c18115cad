//! R21 `SEND_SHIPPING_NOTICES` (seed 000 task 6, 発送連絡): once a day, one e-mail per receiver listing every
//! parcel shipped to them and not told yet, the same parcel listed once (duplicates removed before
//! sending). A receiver already told today gets today's later parcels with tomorrow's notice; a shipment
//! is marked told in the transaction that queues its notice, so a rerun or a second instance sends nothing
//! twice.

use crate::work::Job;
use crate::{JobContext, JobName};
use chrono::{DateTime, NaiveDate, Utc};
use notify::email::{EmailKind, NewEmail};
use orders::service::ShipmentNotice;
use platform_core::Progress;
use serde_json::json;
use std::collections::BTreeMap;

/// Shipments read per round.
const ROUND: u64 = 2000;

/// The job.
pub struct SendShippingNotices;

impl Job for SendShippingNotices {
    const NAME: JobName = JobName::SendShippingNotices;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let (_, until) = ops::report::day_bounds(ctx.calendar, as_of);
        let mut skipped: Vec<i64> = Vec::new();
        loop {
            let pending: Vec<ShipmentNotice> =
                orders::service::shipments_to_notify(&ctx.db, until, ROUND + skipped.len() as u64)
                    .await?
                    .into_iter()
                    .filter(|s| !skipped.contains(&s.id))
                    .collect();
            if pending.is_empty() {
                return Ok(());
            }
            // By receiver: the e-mail address (case aside), or the order when there is none.
            let mut groups: BTreeMap<String, Vec<ShipmentNotice>> = BTreeMap::new();
            for shipment in pending {
                let key = match shipment.receiver_email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
                    Some(email) => email.to_lowercase(),
                    None => format!("order:{}", shipment.order_no),
                };
                groups.entry(key).or_default().push(shipment);
            }
            for (receiver, shipments) in groups {
                let ids: Vec<i64> = shipments.iter().map(|s| s.id).collect();
                let mail = notice(&receiver, &shipments, as_of);
                let txn = platform_core::db::begin_write(&ctx.db).await?;
                if notify::email::queue(&txn, mail, at).await? {
                    orders::service::mark_notified(&txn, &ids, at).await?;
                    txn.commit().await?;
                    progress.add(1, 0);
                } else {
                    // Told today already: these wait for tomorrow's notice.
                    txn.rollback().await?;
                    skipped.extend(ids);
                }
            }
        }
    }
}

/// One parcel of a notice: its order, when it left, and its items with their units.
struct Parcel {
    order_no: String,
    shipped_at: DateTime<Utc>,
    items: BTreeMap<String, i32>,
}

/// The notice to `receiver` of `shipments`: each parcel (carrier and tracking number) once, its items
/// summed.
fn notice(receiver: &str, shipments: &[ShipmentNotice], as_of: NaiveDate) -> NewEmail {
    let mut parcels: BTreeMap<(String, String), Parcel> = BTreeMap::new();
    for s in shipments {
        let parcel = parcels.entry((s.carrier.clone(), s.tracking_no.clone())).or_insert_with(|| Parcel {
            order_no: s.order_no.clone(),
            shipped_at: s.shipped_at,
            items: BTreeMap::new(),
        });
        for (item, quantity) in &s.items {
            *parcel.items.entry(item.clone()).or_default() += quantity;
        }
    }
    let parcels: Vec<serde_json::Value> = parcels
        .into_iter()
        .map(|((carrier, tracking_no), parcel)| {
            let items: Vec<serde_json::Value> = parcel
                .items
                .into_iter()
                .map(|(item, quantity)| json!({ "itemNo": item, "quantity": quantity }))
                .collect();
            json!({ "carrier": carrier, "trackingNo": tracking_no, "orderNo": parcel.order_no,
                    "shippedOn": parcel.shipped_at.date_naive(), "items": items })
        })
        .collect();
    let first = shipments.first();
    let to = first.and_then(|s| s.receiver_email.clone());
    NewEmail {
        kind: EmailKind::ShippingNotice,
        dedupe_key: format!("shipping_notice:{receiver}:{as_of}"),
        to,
        regarding: format!("order:{}", first.map(|s| s.order_no.as_str()).unwrap_or_default()),
        data: json!({ "receiverName": first.map(|s| s.receiver_name.as_str()).unwrap_or_default(), "parcels": parcels }),
    }
}
