//! Catalog rows: sellable items, promotions of four items each, and issues extending the demo calendar.

use super::*;

/// Sellable items `IT0000001…` (`items`): books, gifts and 12-month 全閱讀 terms.
pub(super) fn items<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record(["itemNo", "name", "category", "productCode", "termMonths", "listPrice", "itemStatus"])?;
    for n in 1..=rows {
        let (category, product, term) = match n % 3 {
            0 => ("BOOK", "", ""),
            1 => ("GIFT", "", ""),
            _ => ("DIGITAL", "KCW", "12"),
        };
        let price = (100 + dice.below(3000)).to_string();
        let no = format!("IT{n:07}");
        csv.write_record([no.as_str(), &format!("商品 {n}"), category, product, term, &price, "Active"])?;
    }
    Ok(())
}

/// Promotions `PR<n:07>` of four items each (`promotions`; the items file of as many rows first).
pub(super) fn promotions<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record([
        "promotionCode",
        "name",
        "totalAmount",
        "billingCycle",
        "itemNo",
        "sellingPrice",
        "quantity",
    ])?;
    let items = (rows * 5).max(4);
    for n in 1..=rows {
        let code = format!("PR{n:07}");
        let cycle = if n % 4 == 0 { "YEARLY" } else { "ONE_OFF" };
        // A yearly plan renews its 全閱讀 term (item numbers ≡ 2 mod 3).
        let first = 3 * dice.below(items / 3 - 4) + 2;
        let lines: Vec<(u64, u64)> = (0..4).map(|k| (first + 3 * k, 100 + dice.below(900))).collect();
        let total: u64 = lines.iter().map(|(_, p)| p).sum();
        for (item, price) in lines {
            csv.write_record([
                code.as_str(),
                &format!("方案 {n}"),
                &total.to_string(),
                cycle,
                &format!("IT{item:07}"),
                &price.to_string(),
                "1",
            ])?;
        }
    }
    Ok(())
}

/// Issues (`issues`): GCV's demo calendar extended past its end, one issue every 14 days.
pub(super) fn issues<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let calendar = &g.calendar;
    let csv = &mut g.csv;
    csv.write_record([
        "itemNo",
        "name",
        "category",
        "subCategory",
        "productCode",
        "mzVolume",
        "publishDate",
        "itemStatus",
    ])?;
    // Extends GCV's demo calendar past its end, one issue every 14 days.
    let last = calendar
        .iter()
        .filter(|i| i.product_code.as_deref() == Some("GCV"))
        .filter_map(|i| Some((i.mz_volume?, i.publish_date?)))
        .max();
    let (volume, date) = last.unwrap_or((1, as_of));
    for n in 1..=rows {
        let v = i64::from(volume) + i64::try_from(n).unwrap_or(0);
        let day = date + Duration::days(14 * i64::try_from(n).unwrap_or(0));
        csv.write_record([
            format!("GCV{v:06}"),
            format!("天下雜誌 第{v}期"),
            "雜誌".into(),
            "天下".into(),
            "GCV".into(),
            v.to_string(),
            day.format("%Y/%-m/%-d").to_string(),
            "Active".into(),
        ])?;
    }
    Ok(())
}
