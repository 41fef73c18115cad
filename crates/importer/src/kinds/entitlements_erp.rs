//! `entitlements-erp`: the ERP 雜誌權益檔 of seed 004, one row per customer: `CUSTOMER_ID` (the ERP id,
//! `customers.customerID`), an optional `CUSTOMER_NO` (the seed marks it required but the ERP export lacks
//! it; when given it names the customer), then per product `XX_SUB_END_DATE` (截訂日),
//! `XX_SUB_END_VOLUMN` (截訂期) and `XX_ACC_SENIORITY` (年資; the export's `GJ_ACC_SENIORTY` spelling too).
//!
//! Products map GC→GCV, GH→GHV, GJ→GJV, GK→GKV, GS→GSV, GM→GMV, GR→GRV, FC→FCV, FH→FHV, FJ→FJV, FM→FMV,
//! FR→FRV and KC→KCW; GB, FB, FS and PC are skipped (the platform does not sell them). Magazine entitlements
//! (held by the customer) follow R3 and seed 004 step 1: `endVolume` as exported, `endVolumeDate` = the
//! publish date of that volume and `rightDueDate` = that of the next one, from the issue calendar (estimated
//! from the cadence past its end, the export's date used when the calendar lacks the volume); volume 0 is
//! no entitlement (the seed deletes those). KCW (全閱讀) is held by the member linked to the customer, with
//! `rightDueDate` = `KC_SUB_END_DATE`. Statuses are backfilled as seed 004 step 5 does against the cut-over
//! day (`--as-of`): CURRENT when the end date is on or after it, LAPSED before, COMPLIMENTARY_ENDED without
//! a date. An import never moves an entitlement backwards: a stored term that reaches further is kept.
//! Each entitlement written gets a ledger row of kind IMPORT naming the line, and the customer's PENDING
//! renewals take the deduct date the new entitlements give (R5).

use super::{RunMerge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::Cell;
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use catalog::ProductKind;
use chrono::NaiveDate;
use entitlements::SubscribeStatus;
use entitlements::rules::Calendar;
use sea_orm::DatabaseConnection;
use std::collections::HashMap;

/// The ERP prefixes and the product each maps to (`None`: skipped).
pub(crate) const PRODUCTS: [(&str, Option<&str>); 17] = [
    ("GC", Some("GCV")),
    ("GH", Some("GHV")),
    ("GJ", Some("GJV")),
    ("GK", Some("GKV")),
    ("GS", Some("GSV")),
    ("GB", None),
    ("GM", Some("GMV")),
    ("GR", Some("GRV")),
    ("FB", None),
    ("FC", Some("FCV")),
    ("FH", Some("FHV")),
    ("FJ", Some("FJV")),
    ("FM", Some("FMV")),
    ("FR", Some("FRV")),
    ("FS", None),
    ("PC", None),
    ("KC", Some("KCW")),
];

const COLUMNS: &[Column] = &columns();

const fn columns() -> [Column; 53] {
    let mut all = [optional(""); 53];
    all[0] = required("CUSTOMER_ID");
    all[1] = optional("CUSTOMER_NO");
    all[2] = optional("GJ_ACC_SENIORTY");
    let names: [&str; 50] = [
        "GC_SUB_END_DATE",
        "GC_SUB_END_VOLUMN",
        "GC_ACC_SENIORITY",
        "GH_SUB_END_DATE",
        "GH_SUB_END_VOLUMN",
        "GH_ACC_SENIORITY",
        "GJ_SUB_END_DATE",
        "GJ_SUB_END_VOLUMN",
        "GJ_ACC_SENIORITY",
        "GK_SUB_END_DATE",
        "GK_SUB_END_VOLUMN",
        "GK_ACC_SENIORITY",
        "GS_SUB_END_DATE",
        "GS_SUB_END_VOLUMN",
        "GS_ACC_SENIORITY",
        "GB_SUB_END_DATE",
        "GB_SUB_END_VOLUMN",
        "GB_ACC_SENIORITY",
        "GM_SUB_END_DATE",
        "GM_SUB_END_VOLUMN",
        "GM_ACC_SENIORITY",
        "GR_SUB_END_DATE",
        "GR_SUB_END_VOLUMN",
        "GR_ACC_SENIORITY",
        "FB_SUB_END_DATE",
        "FB_SUB_END_VOLUMN",
        "FB_ACC_SENIORITY",
        "FC_SUB_END_DATE",
        "FC_SUB_END_VOLUMN",
        "FC_ACC_SENIORITY",
        "FH_SUB_END_DATE",
        "FH_SUB_END_VOLUMN",
        "FH_ACC_SENIORITY",
        "FJ_SUB_END_DATE",
        "FJ_SUB_END_VOLUMN",
        "FJ_ACC_SENIORITY",
        "FM_SUB_END_DATE",
        "FM_SUB_END_VOLUMN",
        "FM_ACC_SENIORITY",
        "FR_SUB_END_DATE",
        "FR_SUB_END_VOLUMN",
        "FR_ACC_SENIORITY",
        "FS_SUB_END_DATE",
        "FS_SUB_END_VOLUMN",
        "FS_ACC_SENIORITY",
        "PC_SUB_END_DATE",
        "PC_SUB_END_VOLUMN",
        "PC_ACC_SENIORITY",
        "KC_SUB_END_DATE",
        "KC_ACC_SENIORITY",
    ];
    let mut i = 0;
    while i < names.len() {
        all[i + 3] = optional(names[i]);
        i += 1;
    }
    all
}

/// The issue calendars of the mapped VOLUME products, by product code (what the import dates volumes with,
/// and the export tells an estimated date by).
pub(crate) async fn calendars(db: &DatabaseConnection) -> Result<HashMap<String, Calendar>, ImportError> {
    let mut calendars = HashMap::new();
    for code in PRODUCTS.iter().filter_map(|(_, code)| *code) {
        let product = catalog::service::find_product(db, code).await.map_err(anyhow::Error::new)?;
        if let Some(product) = product.filter(|p| p.kind == ProductKind::Volume) {
            let calendar =
                entitlements::grant::issue_calendar(db, &product).await.map_err(anyhow::Error::new)?;
            calendars.insert(code.to_owned(), calendar);
        }
    }
    Ok(calendars)
}

/// The loader, with the issue calendars of the magazine products.
pub(crate) struct EntitlementsErp {
    calendars: HashMap<String, Calendar>,
}

impl EntitlementsErp {
    /// Reads the calendars of the mapped VOLUME products.
    pub(crate) async fn load(db: &DatabaseConnection) -> Result<Self, ImportError> {
        let calendars = calendars(db).await?;
        Ok(EntitlementsErp { calendars })
    }

    /// The entitlement of one product's three columns; `Ok(None)` when they are empty or volume 0.
    fn product(
        &self,
        prefix: &str,
        code: &str,
        values: (Option<&str>, Option<&str>, Option<&str>),
        as_of: NaiveDate,
    ) -> Result<Option<Term>, String> {
        let (date, volume, seniority) = values;
        let end_date = date.map(|raw| parse::date(&format!("{prefix}_SUB_END_DATE"), raw)).transpose()?;
        let seniority =
            seniority.map(|raw| parse::thousandths(&format!("{prefix}_ACC_SENIORITY"), raw)).transpose()?;
        if code == "KCW" {
            let Some(due) = end_date else {
                return Ok(None);
            };
            return Ok(Some(Term {
                member_holder: true,
                end_volume: None,
                end_volume_date: None,
                right_due_date: Some(due),
                seniority: seniority.unwrap_or(0),
                status: backfill(Some(due), as_of),
                estimated: false,
            }));
        }
        let volume = match volume {
            Some(raw) => parse::int(&format!("{prefix}_SUB_END_VOLUMN"), raw)?,
            None if end_date.is_some() => {
                return Err(format!("{prefix}_SUB_END_VOLUMN: missing where {prefix}_SUB_END_DATE is given"));
            }
            None => return Ok(None),
        };
        if volume == 0 {
            return Ok(None);
        }
        let volume = i32::try_from(volume)
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| format!("{prefix}_SUB_END_VOLUMN: {volume} is not a volume number"))?;
        let calendar = self.calendars.get(code);
        let on_calendar = |v: i32| calendar.and_then(|c| c.date_of(v).ok());
        let (end_volume_date, end_estimated) = match (on_calendar(volume), end_date) {
            (Some(dated), _) if !dated.estimated => (Some(dated.date), false),
            (_, Some(exported)) => (Some(exported), false),
            (Some(dated), None) => (Some(dated.date), true),
            (None, None) => (None, false),
        };
        let due = on_calendar(volume + 1);
        Ok(Some(Term {
            member_holder: false,
            end_volume: Some(i64::from(volume)),
            end_volume_date,
            right_due_date: due.map(|d| d.date),
            seniority: seniority.unwrap_or(0),
            status: backfill(end_volume_date, as_of),
            estimated: end_estimated || due.is_some_and(|d| d.estimated),
        }))
    }
}

/// Seed 004 step 5 (回補 subscribeStatus) against the cut-over day.
fn backfill(end: Option<NaiveDate>, as_of: NaiveDate) -> SubscribeStatus {
    match end {
        Some(end) if end >= as_of => SubscribeStatus::Current,
        Some(_) => SubscribeStatus::Lapsed,
        None => SubscribeStatus::ComplimentaryEnded,
    }
}

struct Term {
    member_holder: bool,
    end_volume: Option<i64>,
    end_volume_date: Option<NaiveDate>,
    right_due_date: Option<NaiveDate>,
    seniority: i64,
    status: SubscribeStatus,
    estimated: bool,
}

impl Loader for EntitlementsErp {
    type Row = Staged;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, options: &Options) -> Result<Parsed<Staged>, String> {
        let get = |column: &str| header.get(record, column);
        let erp_id = parse::text("CUSTOMER_ID", get("CUSTOMER_ID").ok_or("CUSTOMER_ID: missing")?, 32)?;
        let customer_no = get("CUSTOMER_NO")
            .map(|raw| members::validate::customer_no("CUSTOMER_NO", raw))
            .transpose()
            .map_err(|e| e.to_string())?;
        let mut parsed = Parsed { rows: Vec::new(), skipped: 0, partial_rejects: Vec::new() };
        for (prefix, code) in PRODUCTS {
            let seniority_column = if prefix == "GJ" && get("GJ_ACC_SENIORITY").is_none() {
                "GJ_ACC_SENIORTY".to_owned()
            } else {
                format!("{prefix}_ACC_SENIORITY")
            };
            let values = (
                get(&format!("{prefix}_SUB_END_DATE")),
                get(&format!("{prefix}_SUB_END_VOLUMN")),
                get(&seniority_column),
            );
            let Some(code) = code else {
                if values.0.is_some() || values.1.is_some() {
                    parsed.skipped += 1;
                }
                continue;
            };
            match self.product(prefix, code, values, options.as_of) {
                Ok(Some(term)) => parsed.rows.push(Staged {
                    keys: vec![format!(
                        "{erp_id}\u{1f}{}\u{1f}{code}",
                        customer_no.as_deref().unwrap_or_default()
                    )],
                    cells: term.cells(&erp_id, customer_no.as_deref(), code),
                }),
                Ok(None) => {}
                Err(reason) => parsed.partial_rejects.push(reason),
            }
        }
        if parsed.rows.is_empty() && !parsed.partial_rejects.is_empty() {
            return Err(parsed.partial_rejects.join("; "));
        }
        Ok(parsed)
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let (mut erp_ids, mut customer_nos) = (Vec::new(), Vec::new());
        for (_, row) in &batch {
            if let Some(Cell::Text(id)) = row.cells.first() {
                erp_ids.push(id.clone());
            }
            if let Some(Cell::Text(no)) = row.cells.get(1) {
                customer_nos.push(no.clone());
            }
        }
        let merge = entitlements::bulk::erp_terms();
        let outcome = merge.run(db, batch, options).await?;
        if !options.dry_run && outcome.inserted + outcome.updated > 0 {
            // R5: pending renewals follow the entitlements they are dated by.
            erp_ids.dedup();
            customer_nos.dedup();
            let customers = members::service::customer_ids_matching(db, &erp_ids, &customer_nos)
                .await
                .map_err(anyhow::Error::new)?;
            renewals::import::reschedule_after_import(db, &customers, options.at)
                .await
                .map_err(anyhow::Error::new)?;
        }
        Ok(outcome)
    }
}

impl Term {
    fn cells(&self, erp_id: &str, customer_no: Option<&str>, code: &str) -> Vec<Cell> {
        vec![
            Cell::Text(erp_id.to_owned()),
            customer_no.map(str::to_owned).into(),
            Cell::Text(code.to_owned()),
            Cell::Bool(self.member_holder),
            self.end_volume.into(),
            self.end_volume_date.into(),
            self.right_due_date.into(),
            Cell::Int(self.seniority),
            Cell::Int(i64::from(self.status.code())),
            Cell::Bool(self.estimated),
            Cell::Null,
            Cell::Null,
        ]
    }
}
