//! What people hold: entitlements of each source, renewals and subscription changes.

use super::*;

/// The ERP's entitlements (`entitlements-erp`): customer `n`'s magazine and digital terms, volumes near `as_of`.
pub(super) fn entitlements_erp<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let calendar = &g.calendar;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    let products = ["GC", "GH", "GJ", "GK", "GS", "GM", "GR", "FC", "FH", "FJ", "FM", "FR"];
    let mut header = vec!["CUSTOMER_ID".to_owned()];
    for p in products {
        header.extend([
            format!("{p}_SUB_END_DATE"),
            format!("{p}_SUB_END_VOLUMN"),
            format!("{p}_ACC_SENIORITY"),
        ]);
    }
    header.extend(["KC_SUB_END_DATE".to_owned(), "KC_ACC_SENIORITY".to_owned()]);
    csv.write_record(&header)?;
    for n in 1..=rows {
        let mut row = vec![(400_000 + n).to_string()];
        for p in products {
            let code = format!("{p}V");
            // Most customers hold one or two magazines.
            let held = dice.below(6) == 0 || (p == "GC" && dice.below(2) == 0);
            match volume_near(calendar, &code, dice).filter(|_| held) {
                Some(volume) => row.extend([
                    String::new(),
                    volume.to_string(),
                    format!("{}.{:03}", dice.below(25), dice.below(1000)),
                ]),
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        let kc = dice.below(4) == 0;
        row.push(if kc {
            (as_of + Duration::days(i64::try_from(dice.below(365)).unwrap_or(0))).to_string()
        } else {
            String::new()
        });
        row.push(if kc { format!("{}.{:03}", dice.below(5), dice.below(1000)) } else { String::new() });
        csv.write_record(&row)?;
    }
    Ok(())
}

/// The ERP's renewals (`renewals-erp`): customer `n` renews 天下+全閱讀, with the last 4 of a card.
pub(super) fn renewals_erp<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record([
        "CUSTOMER_NUMBER",
        "CUSTOMER_ID",
        "GC_ORDER_NUMBER",
        "PROD_TYPE",
        "SEGMENT1",
        "PROMOTION",
        "CREDIT_CARD_NUMBER",
        "C_CARD_EXP_DATE",
        "SH_MOBILE",
        "SH_EMAIL",
        "GC_SUB_END_DATE",
        "GC_SUB_END_VOLUMN",
        "KC_SUB_END_DATE",
        "CUSTOMER_NAME",
        "COUNTRY",
        "POSTAL_CODE",
        "TOWN_OR_CITY",
        "SHIP_ADDRESS",
        "FREIGHT_CHARGE",
    ])?;
    for n in 1..=rows {
        let (postal, city) = CITIES[usize::try_from(dice.below(6)).unwrap_or(0)];
        let due = as_of + Duration::days(30 + i64::try_from(dice.below(300)).unwrap_or(0));
        csv.write_record([
            customer_no(n),
            (400_000 + n).to_string(),
            (601_000_000 + n).to_string(),
            "P+E".into(),
            "KCW000015".into(),
            "GC18080026".into(),
            format!("{:06}", dice.below(1_000_000)),
            "2028/9/1".into(),
            format!("09{:08}", dice.below(100_000_000)),
            format!("customer{n}@example.com"),
            due.format("%Y/%-m/%-d").to_string(),
            String::new(),
            due.format("%Y/%-m/%-d").to_string(),
            format!("{}{}", dice.pick(&SURNAMES), dice.pick(&GIVEN)),
            "台灣".into(),
            postal.into(),
            city.into(),
            format!("{}{}號", dice.pick(&STREETS), 1 + dice.below(300)),
            "0".into(),
        ])?;
    }
    Ok(())
}

/// The evening's changes for customers 1…rows (their renewals from `renewals-erp`): every third skips
/// one monthly 全閱讀 cycle (the benchmark makes those renewals monthly), the others cancel their
/// 天下 renewal at the end of the term, with a reason from the list or in their own words.
/// APP 權益: every member a monthly store subscription of 全閱讀, one in three lapsed.
pub(super) fn app_entitlements<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let csv = &mut g.csv;
    csv.write_record(["USERID", "PRODUCT", "ORIGINAL_TRANSACTION_ID", "EXPIRES_DATE", "PROMOTION"])?;
    for n in 1..=rows {
        let offset = if n % 3 == 0 { -40 } else { 20 };
        let expires = (as_of + chrono::Duration::days(offset)).format("%Y/%m/%d").to_string();
        let original = format!("{}", 300_000_000_000_u64 + n);
        csv.write_record([account(n).as_str(), "KCW", &original, &expires, "KC24010001"])?;
    }
    Ok(())
}

/// SUBSCRIPTORDL: every member a 全閱讀 term, a quarter of them lapsed, every fifth row a print magazine.
pub(super) fn digital_entitlements<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let csv = &mut g.csv;
    csv.write_record(["SUBNO", "RCVEMAIL", "magcode", "SUBBEGINDATE", "SUBENDDATE"])?;
    for n in 1..=rows {
        let (begin, end) = if n % 4 == 0 { (-400, -35) } else { (-30, 335) };
        let day = |offset: i64| (as_of + chrono::Duration::days(offset)).format("%Y/%m/%d").to_string();
        let magcode = if n % 5 == 0 { "GC" } else { "KC" };
        csv.write_record([customer_no(n).as_str(), account(n).as_str(), magcode, &day(begin), &day(end)])?;
    }
    Ok(())
}

/// 關貿臨時權益: every member a month of 全閱讀, every third also of the 天下 digital edition.
pub(super) fn temporary_entitlements<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let csv = &mut g.csv;
    csv.write_record(["USERID", "CVALIDDATE", "HVALIDDATE", "JVALIDDATE", "KVALIDDATE", "WVALIDDATE"])?;
    let month = as_of.checked_add_days(chrono::Days::new(30)).unwrap_or(as_of).format("%Y/%m/%d").to_string();
    for n in 1..=rows {
        let tianxia = if n % 3 == 0 { month.as_str() } else { "" };
        csv.write_record([account(n).as_str(), tianxia, "", "", "", month.as_str()])?;
    }
    Ok(())
}

/// Subscription changes (`subscription-changes`) of the generated customers.
pub(super) fn subscription_changes<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record(["customerNo", "account", "action", "product", "renewal", "from", "count", "reason"])?;
    let words = ["搬家到國外", "太忙沒時間看", "家裡已有訂閱"];
    for n in 1..=rows {
        let no = customer_no(n);
        let day = as_of.to_string();
        match n % 3 {
            0 => csv.write_record([no.as_str(), "", "SKIP", "KCW", "", &day, "1", ""])?,
            1 => csv.write_record([no.as_str(), "", "CANCEL", "GCV", "", &day, "", "PRICE"])?,
            _ => csv.write_record([no.as_str(), "", "CANCEL", "GCV", "", &day, "", dice.pick(&words)])?,
        }
    }
    Ok(())
}
