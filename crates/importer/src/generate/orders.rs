//! Order history and its parcels.

use super::*;

/// The ERP's order history: customer `n` bought 天下+全閱讀 as order `601000000+n` (the renewal of
/// `renewals-erp` row `n` agreed to renew it), paid a year before the cut-over; every fifth also a book.
pub(super) fn orders<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let dice = &mut g.dice;
    let csv = &mut g.csv;
    csv.write_record([
        "ORDER_NUMBER",
        "ORDER_DATE",
        "CUSTOMER_NUMBER",
        "ORDER_STATUS",
        "PAID_AT",
        "TRANSACTION_ID",
        "ITEM_NO",
        "QUANTITY",
        "AMOUNT",
        "CUSTOMER_NAME",
        "POSTAL_CODE",
        "TOWN_OR_CITY",
        "SHIP_ADDRESS",
    ])?;
    let day = (as_of - Duration::days(365)).format("%Y/%m/%d").to_string();
    for n in 1..=rows {
        let number = (601_000_000 + n).to_string();
        let (postal, city) = CITIES[usize::try_from(dice.below(6)).unwrap_or(0)];
        let name = format!("{}{}", dice.pick(&SURNAMES), dice.pick(&GIVEN));
        let street = format!("{}{}號", dice.pick(&STREETS), 1 + dice.below(300));
        let paid = format!("{day} 10:{:02}:00", dice.below(60));
        let mut line = |item: &str, amount: &str| {
            csv.write_record([
                number.as_str(),
                paid.as_str(),
                customer_no(n).as_str(),
                "PAID",
                paid.as_str(),
                &format!("ERP-TX-{number}"),
                item,
                "1",
                amount,
                name.as_str(),
                postal,
                city,
                street.as_str(),
            ])
        };
        line("GC18080026", "3480")?;
        if n % 5 == 0 {
            line("BK0001", "450")?;
        }
    }
    Ok(())
}

/// The ERP's shipping file: the book of every fifth history order (`orders` of 5 × rows rows).
pub(super) fn shipments<W: Write>(g: &mut Gen<W>) -> csv::Result<()> {
    let rows = g.rows;
    let as_of = g.as_of;
    let csv = &mut g.csv;
    csv.write_record(["ORDER_NUMBER", "LINE", "QUANTITY", "SHIPPED_AT", "CARRIER", "TRACKING_NO"])?;
    let day = (as_of - Duration::days(1)).format("%Y/%m/%d 15:00:00").to_string();
    for n in 1..=rows {
        let number = (601_000_000 + 5 * n).to_string();
        csv.write_record([number.as_str(), "2", "1", &day, "黑貓宅急便", &format!("9077{:08}", n)])?;
    }
    Ok(())
}
