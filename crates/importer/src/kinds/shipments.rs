//! `shipments`: the ERP's shipping file (seed 004 ERP回傳配送狀態, seed 000 発送済取込), one row per order line
//! in a parcel, the rows of one parcel together: `ORDER_NUMBER, LINE` (the line's position, from 0, as
//! `order.ready` and `order.lines` give it), `QUANTITY` (default 1), `SHIPPED_AT, CARRIER, TRACKING_NO`.
//! Each parcel goes through [`orders::service::record_shipment_in`] — the path of `recordShipment` — in a
//! savepoint of the batch's transaction: the lines' shipped units, the order SHIPPED with a BOOK or EVENT
//! line, `order.shipment_recorded` / `order.shipped`, the evening's shipping notice. A parcel recorded
//! before is unchanged; a refused parcel (every row of it, with the reason) leaves the others standing.

use super::{Written, gather, refusal, tally};
use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use orders::service::{LineQuantity, ShipmentInput, record_shipment_in};
use sea_orm::{DatabaseConnection, TransactionTrait};

const COLUMNS: &[Column] = &[
    required("ORDER_NUMBER"),
    required("LINE"),
    optional("QUANTITY"),
    required("SHIPPED_AT"),
    required("CARRIER"),
    required("TRACKING_NO"),
];

/// One row: its parcel with this row's line only, and the parcel's key.
#[derive(Debug, Clone)]
pub(crate) struct ParcelRow {
    key: String,
    parcel: ShipmentInput,
}

impl crate::Keyed for ParcelRow {
    fn keys(&self) -> Vec<String> {
        Vec::new()
    }

    fn group(&self) -> Option<&str> {
        Some(&self.key)
    }
}

pub(crate) struct Shipments;

impl Loader for Shipments {
    type Row = ParcelRow;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        options: &Options,
    ) -> Result<Parsed<ParcelRow>, String> {
        let get = |column| header.get(record, column).unwrap_or_default();
        let order_no = parse::text("ORDER_NUMBER", get("ORDER_NUMBER"), 40)?;
        let position = parse::int("LINE", get("LINE"))?;
        let position = i32::try_from(position)
            .ok()
            .filter(|p| (0..1000).contains(p))
            .ok_or_else(|| format!("LINE: {position} is not a line position (0-999)"))?;
        let quantity = match header.get(record, "QUANTITY") {
            Some(raw) => parse::int("QUANTITY", raw)?,
            None => 1,
        };
        let quantity = i32::try_from(quantity)
            .ok()
            .filter(|q| (1..=1000).contains(q))
            .ok_or_else(|| format!("QUANTITY: {quantity} is not 1-1000"))?;
        let carrier = parse::text("CARRIER", get("CARRIER"), 40)?;
        let tracking_no = parse::text("TRACKING_NO", get("TRACKING_NO"), 80)?;
        Ok(Parsed::one(ParcelRow {
            key: format!("{order_no}\u{1f}{carrier}\u{1f}{tracking_no}"),
            parcel: ShipmentInput {
                order_no,
                lines: vec![LineQuantity { position, quantity }],
                shipped_at: parse::local_time("SHIPPED_AT", get("SHIPPED_AT"), options.calendar)?,
                carrier,
                tracking_no,
            },
        }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, ParcelRow)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
        let mut outcome = Outcome::default();
        let parcels = gather(
            batch,
            |row| row.key.clone(),
            |first, row| {
                if first.parcel.shipped_at != row.parcel.shipped_at {
                    let parcel = &first.parcel;
                    return Err(format!(
                        "the rows of parcel {} {} disagree on SHIPPED_AT",
                        parcel.carrier, parcel.tracking_no
                    ));
                }
                first.parcel.lines.extend(row.parcel.lines);
                Ok(())
            },
        );
        for (lines, parcel) in parcels {
            let answer = match parcel {
                Ok(row) => {
                    let savepoint = txn.begin().await.map_err(anyhow::Error::new)?;
                    match record_shipment_in(&savepoint, &row.parcel, options.at).await {
                        Ok(recorded) => {
                            savepoint.commit().await.map_err(anyhow::Error::new)?;
                            Ok(if recorded.recorded_now { Written::Inserted } else { Written::Unchanged })
                        }
                        Err(err) => {
                            savepoint.rollback().await.map_err(anyhow::Error::new)?;
                            Err(refusal(err)?)
                        }
                    }
                }
                Err(reason) => Err(reason),
            };
            // Every row of the parcel counts as the parcel did.
            tally(&mut outcome, lines, &answer);
        }
        super::finish(txn, options.dry_run).await?;
        Ok(outcome)
    }
}
