//! Members (會員): issued UUIDs, upsert and lookup, and their events.

use super::*;

/// Hands out a fresh UUID for a member the EC is about to create (seed 004 "EC 索取UUID"). It is recorded,
/// so that `upsert_member` accepts it once and refuses UUIDs nobody issued.
pub async fn request_uuid(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<Uuid, MembersError> {
    let uuid = Uuid::new_v4();
    issued_uuid::ActiveModel { uuid: Set(uuid), issued_at: Set(at), member_id: Set(None) }.insert(db).await?;
    Ok(uuid)
}

/// The member with this account, or `None`.
pub async fn find_member(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Option<Member>, MembersError> {
    Ok(find_members(db, std::slice::from_ref(account)).await?.remove(account))
}

/// The members with these accounts, by account (absent ones left out). One query per 500 accounts.
pub async fn find_members(
    db: &impl ConnectionTrait,
    accounts: &[Account],
) -> Result<HashMap<Account, Member>, MembersError> {
    let mut found = HashMap::new();
    for chunk in accounts.chunks(500) {
        let rows = member::Entity::find()
            .filter(member::Column::Account.is_in(chunk.iter().map(Account::as_str)))
            .all(db)
            .await?;
        for row in rows {
            let member = member_from(row)?;
            found.insert(member.account.clone(), member);
        }
    }
    Ok(found)
}

/// The member with this UUID, or `None`.
pub async fn find_member_by_uuid(
    db: &impl ConnectionTrait,
    uuid: Uuid,
) -> Result<Option<Member>, MembersError> {
    member::Entity::find().filter(member::Column::Uuid.eq(uuid)).one(db).await?.map(member_from).transpose()
}

/// ssoUpdMember: creates the member or updates the one found by account or uuid, in one transaction.
///
/// - Found by account (and the uuid, if sent, is its own): updated.
/// - Found by uuid only: updated, and its account changes to the one sent.
/// - Found by neither: created, with the uuid sent (which must come from [`request_uuid`]) or a new one.
///
/// Fields not sent are kept, fields sent as null are cleared. An account or uuid of another member is
/// `CONFLICT`; an unknown uuid or an invalid field is `BAD_USER_INPUT`. Nothing is written on error.
pub async fn upsert_member(
    db: &impl TransactionTrait,
    input: MemberInput,
    at: DateTime<Utc>,
) -> Result<(Member, Upserted), MembersError> {
    let changes = ValidMemberInput::try_from(input)?;
    let txn = begin_write(db).await?;
    let by_account = member_row_by_account(&txn, &changes.account).await?;
    let by_uuid = match changes.uuid {
        Some(uuid) => member::Entity::find().filter(member::Column::Uuid.eq(uuid)).one(&txn).await?,
        None => None,
    };
    let outcome = match (by_account, by_uuid, changes.uuid) {
        (Some(a), Some(b), _) if a.id != b.id => Err(MembersError::Conflict {
            field: "uuid",
            message: "belongs to another member than the account".to_owned(),
        }),
        (Some(row), _, None) | (Some(row), Some(_), Some(_)) | (None, Some(row), _) => {
            update_member(&txn, row, changes, at).await
        }
        (Some(_), None, Some(uuid)) => {
            if issued(&txn, uuid).await? {
                Err(MembersError::Conflict {
                    field: "account",
                    message: "already belongs to another member".to_owned(),
                })
            } else {
                Err(unknown_uuid())
            }
        }
        (None, None, _) => create_member(&txn, changes, at).await,
    };
    // On error the transaction is dropped, which rolls it back.
    let done = outcome?;
    txn.commit().await?;
    Ok(done)
}

/// Member input that passed every field rule, ready to store.
pub(super) struct ValidMemberInput {
    account: Account,
    uuid: Option<Uuid>,
    email: Change<String>,
    name: Change<String>,
    phone: Change<String>,
    marketing_opt_in: Option<bool>,
    content_opt_in: Option<bool>,
    verified: Option<bool>,
    nine_one_member_info: Change<String>,
    trade_van_member_info: Change<String>,
}

impl TryFrom<MemberInput> for ValidMemberInput {
    type Error = MembersError;

    fn try_from(input: MemberInput) -> Result<Self, MembersError> {
        Ok(ValidMemberInput {
            account: Account::parse(&input.account)?,
            uuid: input.uuid,
            email: input.email.try_map(|v| validate::email("email", &v))?,
            name: input.name.try_map(|v| validate::text("name", &v, 200))?,
            phone: input.phone.try_map(|v| validate::phone("phone", &v))?,
            marketing_opt_in: input.marketing_opt_in,
            content_opt_in: input.content_opt_in,
            verified: input.verified,
            nine_one_member_info: input.nine_one_member_info.try_map(nine_one_json)?,
            trade_van_member_info: input.trade_van_member_info.try_map(trade_van_json)?,
        })
    }
}

pub(super) fn nine_one_json(info: NineOneMemberInfo) -> Result<String, MembersError> {
    const FIELD: &str = "nineOneMemberInfo";
    let optional_text = |name: &str, value: Option<String>, max: usize| {
        value.map(|v| validate::text(&format!("{FIELD}.{name}"), &v, max)).transpose()
    };
    let info = NineOneMemberInfo {
        profession: optional_text("profession", info.profession, 100)?,
        job_position: optional_text("jobPosition", info.job_position, 100)?,
        interest: optional_text("interest", info.interest, 200)?,
        know_from: optional_text("knowFrom", info.know_from, 200)?,
        email: info.email.map(|v| validate::email(&format!("{FIELD}.email"), &v)).transpose()?,
        address: optional_text("address", info.address, 300)?,
    };
    validate::profile_json(FIELD, &info)
}

pub(super) fn trade_van_json(raw: serde_json::Value) -> Result<String, MembersError> {
    const FIELD: &str = "tradeVanMemberInfo";
    // Refuse an oversized block before looking inside it.
    validate::profile_json(FIELD, &raw)?;
    let info: TradeVanMemberInfo =
        serde_json::from_value(raw).map_err(|e| MembersError::invalid(FIELD, e.to_string()))?;
    validate::profile_json(FIELD, &info)
}

pub(super) fn unknown_uuid() -> MembersError {
    MembersError::invalid("uuid", "unknown uuid: ask requestUuid for one before creating a member")
}

pub(super) async fn issued(db: &impl ConnectionTrait, uuid: Uuid) -> Result<bool, MembersError> {
    Ok(issued_uuid::Entity::find_by_id(uuid).one(db).await?.is_some())
}

pub(super) async fn create_member(
    db: &impl ConnectionTrait,
    changes: ValidMemberInput,
    at: DateTime<Utc>,
) -> Result<(Member, Upserted), MembersError> {
    let uuid = match changes.uuid {
        Some(uuid) if issued(db, uuid).await? => uuid,
        Some(_) => return Err(unknown_uuid()),
        None => Uuid::new_v4(),
    };
    let row = member::ActiveModel {
        account: Set(changes.account.to_string()),
        uuid: Set(uuid),
        email: Set(changes.email.apply(None)),
        name: Set(changes.name.apply(None)),
        phone: Set(changes.phone.apply(None)),
        marketing_opt_in: Set(changes.marketing_opt_in.unwrap_or(false)),
        content_opt_in: Set(changes.content_opt_in.unwrap_or(false)),
        verified: Set(changes.verified.unwrap_or(false)),
        nine_one_member_info: Set(changes.nine_one_member_info.apply(None)),
        trade_van_member_info: Set(changes.trade_van_member_info.apply(None)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| {
        if MEMBER_ACCOUNT.violated_by(&err) {
            MembersError::Conflict {
                field: "account",
                message: "was registered at the same moment by another request".to_owned(),
            }
        } else if MEMBER_UUID.violated_by(&err) {
            MembersError::Conflict { field: "uuid", message: "already belongs to another member".to_owned() }
        } else {
            err.into()
        }
    })?;
    if changes.uuid.is_some() {
        let claimed = issued_uuid::Entity::update_many()
            .col_expr(issued_uuid::Column::MemberId, row.id.into())
            .filter(issued_uuid::Column::Uuid.eq(uuid))
            .filter(issued_uuid::Column::MemberId.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(MembersError::Conflict { field: "uuid", message: "is already used".to_owned() });
        }
    }
    let payload = json!({ "account": row.account, "uuid": row.uuid });
    append(db, "member.created", member_subject(row.uuid), payload, at).await?;
    Ok((member_from(row)?, Upserted::Created))
}

pub(super) async fn update_member(
    db: &impl ConnectionTrait,
    row: member::Model,
    changes: ValidMemberInput,
    at: DateTime<Utc>,
) -> Result<(Member, Upserted), MembersError> {
    let before = row.clone();
    let mut next = row;
    next.account = changes.account.to_string();
    next.email = changes.email.apply(next.email);
    next.name = changes.name.apply(next.name);
    next.phone = changes.phone.apply(next.phone);
    next.marketing_opt_in = changes.marketing_opt_in.unwrap_or(next.marketing_opt_in);
    next.content_opt_in = changes.content_opt_in.unwrap_or(next.content_opt_in);
    next.verified = changes.verified.unwrap_or(next.verified);
    next.nine_one_member_info = changes.nine_one_member_info.apply(next.nine_one_member_info);
    next.trade_van_member_info = changes.trade_van_member_info.apply(next.trade_van_member_info);
    let changed = changed_member_fields(&before, &next);
    if changed.is_empty() {
        return Ok((member_from(before)?, Upserted::Unchanged));
    }
    next.updated_at = at;
    let active = next.into_active_model().reset_all();
    let row = active.update(db).await.map_err(|err| match MEMBER_ACCOUNT.violated_by(&err) {
        true => MembersError::Conflict {
            field: "account",
            message: "already belongs to another member".to_owned(),
        },
        false => err.into(),
    })?;
    let subject = member_subject(row.uuid);
    if before.account != row.account {
        let payload = json!({ "uuid": row.uuid, "from": before.account, "to": row.account });
        append(db, "member.account_changed", subject.clone(), payload, at).await?;
    }
    if before.email != row.email {
        // The e-mail history (seed 000, task 15) is this event's trail.
        let payload =
            json!({ "account": row.account, "uuid": row.uuid, "from": before.email, "to": row.email });
        append(db, "member.email_changed", subject.clone(), payload, at).await?;
    }
    let payload = json!({ "account": row.account, "uuid": row.uuid, "fields": changed });
    append(db, "member.updated", subject, payload, at).await?;
    Ok((member_from(row)?, Upserted::Updated))
}

pub(super) fn changed_member_fields(before: &member::Model, after: &member::Model) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |name, same: bool| {
        if !same {
            fields.push(name);
        }
    };
    check("account", before.account == after.account);
    check("email", before.email == after.email);
    check("name", before.name == after.name);
    check("phone", before.phone == after.phone);
    check("marketingOptIn", before.marketing_opt_in == after.marketing_opt_in);
    check("contentOptIn", before.content_opt_in == after.content_opt_in);
    check("verified", before.verified == after.verified);
    check("nineOneMemberInfo", before.nine_one_member_info == after.nine_one_member_info);
    check("tradeVanMemberInfo", before.trade_van_member_info == after.trade_van_member_info);
    fields
}

pub(super) async fn member_row_by_account(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Option<member::Model>, DbErr> {
    member::Entity::find().filter(member::Column::Account.eq(account.as_str())).one(db).await
}

pub(super) fn member_from(row: member::Model) -> Result<Member, MembersError> {
    let corrupt =
        |what: &str, e: serde_json::Error| anyhow::anyhow!("member {} has a corrupt {what}: {e}", row.id);
    let nine_one_member_info = row
        .nine_one_member_info
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("nineOneMemberInfo", e))?;
    let trade_van_member_info = row
        .trade_van_member_info
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("tradeVanMemberInfo", e))?;
    Ok(Member {
        account: Account::parse(&row.account)
            .map_err(|e| anyhow::anyhow!("member {}: stored {e}", row.id))?,
        uuid: row.uuid,
        email: row.email,
        name: row.name,
        phone: row.phone,
        marketing_opt_in: row.marketing_opt_in,
        content_opt_in: row.content_opt_in,
        verified: row.verified,
        nine_one_member_info,
        trade_van_member_info,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn member_subject(uuid: Uuid) -> String {
    format!("member:{uuid}")
}
