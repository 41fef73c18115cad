//! `shipments`: the ERP's shipping file (seed 004 ERP回傳配送狀態, seed 000 発送済取込), one row per order line
//! in a parcel, the rows of one parcel together: `ORDER_NUMBER, LINE` (the line's position, from 0, as
//! `order.ready` and `order.lines` give it), `QUANTITY` (default 1), `SHIPPED_AT, CARRIER, TRACKING_NO`.
//! Each parcel goes through [`orders::service::record_shipment_in`] — the path of `recordShipment` — in a
//! savepoint of the batch's transaction: the lines' shipped units, the order SHIPPED with a BOOK or EVENT
//! line, `order.shipment_recorded` / `order.shipped`, the evening's shipping notice. A parcel recorded
//! before is unchanged; a refused parcel (every row of it, with the reason) leaves the others standing.

use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use orders::OrdersError;
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
        for (lines, parcel) in parcels_of(batch) {
            let answer = match parcel {
                Ok(parcel) => {
                    let savepoint = txn.begin().await.map_err(anyhow::Error::new)?;
                    match record_shipment_in(&savepoint, &parcel, options.at).await {
                        Ok(recorded) => {
                            savepoint.commit().await.map_err(anyhow::Error::new)?;
                            Ok(recorded.recorded_now)
                        }
                        Err(
                            err @ (OrdersError::Invalid { .. }
                            | OrdersError::NotFound { .. }
                            | OrdersError::Conflict { .. }),
                        ) => {
                            savepoint.rollback().await.map_err(anyhow::Error::new)?;
                            Err(err.to_string())
                        }
                        Err(err) => return Err(anyhow::Error::new(err).into()),
                    }
                }
                Err(reason) => Err(reason),
            };
            // Every row of the parcel counts as the parcel did.
            for line in lines {
                match &answer {
                    Ok(true) => outcome.inserted += 1,
                    Ok(false) => outcome.unchanged += 1,
                    Err(reason) => outcome.rejects.push((line, reason.clone())),
                }
            }
        }
        super::finish(txn, options.dry_run).await?;
        Ok(outcome)
    }
}

/// The batch's rows gathered into their parcels (the rows of one parcel come together and land in one
/// batch), with the lines each came from; `Err` when the rows of one parcel disagree on its time.
fn parcels_of(batch: Vec<(u64, ParcelRow)>) -> Vec<(Vec<u64>, Result<ShipmentInput, String>)> {
    let mut parcels: Vec<(String, Vec<u64>, Result<ShipmentInput, String>)> = Vec::new();
    for (line, row) in batch {
        match parcels.last_mut() {
            Some((key, lines, parcel)) if *key == row.key => {
                lines.push(line);
                if let Ok(first) = parcel {
                    if first.shipped_at == row.parcel.shipped_at {
                        first.lines.extend(row.parcel.lines);
                    } else {
                        *parcel = Err(format!(
                            "the rows of parcel {} {} disagree on SHIPPED_AT",
                            first.carrier, first.tracking_no
                        ));
                    }
                }
            }
            _ => parcels.push((row.key, vec![line], Ok(row.parcel))),
        }
    }
    parcels.into_iter().map(|(_, lines, parcel)| (lines, parcel)).collect()
}
