//! People: the ERP customers, the members and the links between them.

use super::*;

/// The ERP customers (`customers`): `CW<n:07>` with ERP id `400000+n`, a name, an address.
pub(super) fn customers<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record([
        "id",
        "customerNo",
        "name",
        "email",
        "phone",
        "createdAt",
        "updatedAt",
        "parent",
        "address",
        "customerID",
    ])?;
    for n in 1..=rows {
        let (postal, city) = CITIES[usize::try_from(dice.below(6)).unwrap_or(0)];
        csv.write_record([
            n.to_string(),
            customer_no(n),
            format!("{}{}", dice.pick(&SURNAMES), dice.pick(&GIVEN)),
            format!("customer{n}@example.com"),
            format!("09{:08}", dice.below(100_000_000)),
            "2020-10-23 10:00:00".to_owned(),
            "2020-10-23 10:00:00".to_owned(),
            String::new(),
            format!("{postal}{city}{}{}號", dice.pick(&STREETS), 1 + dice.below(300)),
            (400_000 + n).to_string(),
        ])?;
    }
    Ok(())
}

/// TradeVan's member export (`member-profiles`): member `n` with a base64 e-mail now and then.
pub(super) fn member_profiles<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record([
        "SERNO",
        "EMAIL",
        "MEMBERID",
        "USERID",
        "CVALIDDAYS",
        "HVALIDDAYS",
        "JVALIDDAYS",
        "KVALIDDAYS",
        "CVALIDDATE",
        "HVALIDDATE",
        "JVALIDDATE",
        "KVALIDDATE",
        "WVALIDDATE",
        "MARKETINGYN",
        "VERIFYSTATUS",
        "CONTENTYN",
        "UUID",
    ])?;
    for n in 1..=rows {
        let email = account(n);
        // Every third export kept SQL Server's base64 (seed 004 decodes it with xs:base64Binary).
        let email = if n % 3 == 0 {
            base64::engine::general_purpose::STANDARD.encode(email.as_bytes())
        } else {
            email
        };
        let valid = (as_of + Duration::days(i64::try_from(dice.below(400)).unwrap_or(0))).to_string();
        let yn = |dice: &mut Dice| if dice.below(2) == 0 { "Y" } else { "N" };
        csv.write_record([
            n.to_string(),
            email,
            (30_000 + n).to_string(),
            account(n),
            "0".into(),
            "0".into(),
            "0".into(),
            "0".into(),
            valid.clone(),
            String::new(),
            String::new(),
            String::new(),
            valid,
            yn(dice).into(),
            "Y".into(),
            yn(dice).into(),
            uuid::Uuid::from_u64_pair(g.seed, n).to_string(),
        ])?;
    }
    Ok(())
}

/// MEMBERSUBNO (`member-customers`): member `n` linked to customer `n`.
pub(super) fn member_customers<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let csv = &mut g.csv;
    csv.write_record([
        "SERNO",
        "USERID",
        "SUBNO",
        "KNOWLEDGEYN",
        "CREATEUSER",
        "CREATETIME",
        "UPDATEUSER",
        "UPDATETIME",
        "SYSMEMO",
    ])?;
    for n in 1..=rows {
        csv.write_record([
            n.to_string(),
            account(n),
            customer_no(n),
            "N".into(),
            "SYS".into(),
            "2020-10-23 12:34:56.000".into(),
            "SYS".into(),
            "2020-10-23 12:34:56.000".into(),
            String::new(),
        ])?;
    }
    Ok(())
}
