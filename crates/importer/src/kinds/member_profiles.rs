//! `member-profiles`: TradeVan's MEMBER export as seed 004 selects it (`SERNO, EMAIL, MEMBERID, USERID,
//! CVALIDDAYS … KVALIDDAYS, CVALIDDATE … WVALIDDATE, MARKETINGYN, VERIFYSTATUS, CONTENTYN, UUID`).
//! `USERID` is the account; `EMAIL` may arrive base64-encoded (the export's `xs:base64Binary` step
//! skipped) and is decoded; the TradeVan fields (MEMBERID, the VALIDDAYS and VALIDDATEs) are kept as
//! the member's `tradeVanMemberInfo`, as the seed's "更新ValidDate到MemberProfile" does. A member that
//! exists is updated where the export differs (an empty EMAIL keeps the stored one); its UUID never
//! changes.

use super::{RunMerge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::Cell;
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use members::Account;
use members::model::TradeVanMemberInfo;
use sea_orm::DatabaseConnection;

pub(crate) struct MemberProfiles;

const COLUMNS: &[Column] = &[
    optional("SERNO"),
    optional("EMAIL"),
    optional("MEMBERID"),
    required("USERID"),
    optional("CVALIDDAYS"),
    optional("HVALIDDAYS"),
    optional("JVALIDDAYS"),
    optional("KVALIDDAYS"),
    optional("CVALIDDATE"),
    optional("HVALIDDATE"),
    optional("JVALIDDATE"),
    optional("KVALIDDATE"),
    optional("WVALIDDATE"),
    optional("MARKETINGYN"),
    optional("VERIFYSTATUS"),
    optional("CONTENTYN"),
    optional("UUID"),
];

impl Loader for MemberProfiles {
    type Row = Staged;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, _options: &Options) -> Result<Parsed<Staged>, String> {
        let get = |column| header.get(record, column);
        let account =
            Account::parse(get("USERID").unwrap_or_default()).map_err(|e| format!("USERID: {e}"))?;
        let email = get("EMAIL")
            .map(|raw| members::validate::email("EMAIL", &parse::maybe_base64_email(raw)))
            .transpose()
            .map_err(|e| e.to_string())?;
        let uuid = match get("UUID") {
            Some(raw) => uuid::Uuid::parse_str(raw).map_err(|_| format!("UUID: {raw:?} is not a UUID"))?,
            None => uuid::Uuid::new_v4(),
        };
        let flag = |column| {
            get(column).map(|raw| parse::yes_no(column, raw)).transpose().map(|v| v.unwrap_or(false))
        };
        let days = |column| {
            get(column).map(|raw| parse::int(column, raw)).transpose().and_then(|v| {
                v.map(|d| i32::try_from(d).map_err(|_| format!("{column}: {d} is out of range"))).transpose()
            })
        };
        let date = |column| get(column).map(|raw| parse::date(column, raw)).transpose();
        let info = TradeVanMemberInfo {
            member_id: get("MEMBERID").map(str::to_owned),
            c_valid_days: days("CVALIDDAYS")?,
            h_valid_days: days("HVALIDDAYS")?,
            j_valid_days: days("JVALIDDAYS")?,
            k_valid_days: days("KVALIDDAYS")?,
            c_valid_date: date("CVALIDDATE")?,
            h_valid_date: date("HVALIDDATE")?,
            j_valid_date: date("JVALIDDATE")?,
            k_valid_date: date("KVALIDDATE")?,
            w_valid_date: date("WVALIDDATE")?,
        };
        let info = (info != TradeVanMemberInfo::default())
            .then(|| members::validate::profile_json("tradeVanMemberInfo", &info))
            .transpose()
            .map_err(|e| e.to_string())?;
        let cells = vec![
            Cell::Text(account.to_string()),
            Cell::Uuid(uuid),
            email.into(),
            Cell::Bool(flag("MARKETINGYN")?),
            Cell::Bool(flag("CONTENTYN")?),
            Cell::Bool(flag("VERIFYSTATUS")?),
            info.into(),
        ];
        Ok(Parsed::one(Staged { keys: vec![account.to_string()], cells }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        members::bulk::PROFILES.run(db, batch, options).await
    }
}
