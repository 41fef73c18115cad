//! Realistic exports of any size, in each kind's format, for benchmarks, tests and rehearsals. The rows
//! are deterministic for a seed and hang together across kinds: customer `n` is `CW<n:07>` with ERP id
//! `400000+n`, member `n` is `member<n>@example.com`, and MEMBERSUBNO links member `n` to customer `n`.
//! Magazine volumes are taken from the demo issue calendar around `as_of`, as a real cut-over's would be.

use crate::Kind;
use base64::Engine;
use chrono::{Duration, NaiveDate};
use std::io::Write;

const SURNAMES: [&str; 12] = ["陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許", "鄭"];
const GIVEN: [&str; 12] =
    ["志明", "春嬌", "家豪", "怡君", "冠宇", "雅婷", "承恩", "淑芬", "俊傑", "美玲", "宗翰", "欣怡"];
const CITIES: [(&str, &str); 6] = [
    ("100", "臺北市中正區"),
    ("106", "臺北市大安區"),
    ("220", "新北市板橋區"),
    ("300", "新竹市東區"),
    ("403", "臺中市西區"),
    ("802", "高雄市苓雅區"),
];
const STREETS: [&str; 6] = ["忠孝東路", "中山北路", "民生路", "復興南路", "文心路", "四維三路"];

/// A small deterministic generator (xorshift64*): the same seed writes the same file.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

/// The customerNo of generated customer `n`.
pub fn customer_no(n: u64) -> String {
    format!("CW{n:07}")
}

/// The account of generated member `n`.
pub fn account(n: u64) -> String {
    format!("member{n}@example.com")
}

/// Writes `rows` rows of `kind` (after the header) to `out`.
pub fn write(kind: Kind, rows: u64, as_of: NaiveDate, seed: u64, out: impl Write) -> csv::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    let mut dice = Dice(seed.max(1));
    let calendar = catalog::demo::issue_calendar(as_of - Duration::days(400), as_of + Duration::days(800));
    let volume_near = |code: &str, dice: &mut Dice| {
        let issues: Vec<i32> = calendar
            .iter()
            .filter(|i| i.product_code.as_deref() == Some(code))
            .filter_map(|i| i.mz_volume)
            .collect();
        let at = usize::try_from(dice.below(issues.len() as u64)).unwrap_or(0);
        issues.get(at).copied()
    };
    match kind {
        // Sellable items `IT0000001…` (books, gifts and 12-month 全閱讀 terms), and promotions
        // `PR0000001…` of four of those items each (the items file of as many rows must be loaded first).
        Kind::Items => {
            csv.write_record([
                "itemNo",
                "name",
                "category",
                "productCode",
                "termMonths",
                "listPrice",
                "itemStatus",
            ])?;
            for n in 1..=rows {
                let (category, product, term) = match n % 3 {
                    0 => ("BOOK", "", ""),
                    1 => ("GIFT", "", ""),
                    _ => ("DIGITAL", "KCW", "12"),
                };
                let price = (100 + dice.below(3000)).to_string();
                let no = format!("IT{n:07}");
                csv.write_record([
                    no.as_str(),
                    &format!("商品 {n}"),
                    category,
                    product,
                    term,
                    &price,
                    "Active",
                ])?;
            }
        }
        Kind::Promotions => {
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
        }
        Kind::Customers => {
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
        }
        Kind::MemberProfiles => {
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
                    yn(&mut dice).into(),
                    "Y".into(),
                    yn(&mut dice).into(),
                    uuid::Uuid::from_u64_pair(seed, n).to_string(),
                ])?;
            }
        }
        Kind::MemberCustomers => {
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
        }
        Kind::EntitlementsErp => {
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
                    match volume_near(&code, &mut dice).filter(|_| held) {
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
                row.push(if kc {
                    format!("{}.{:03}", dice.below(5), dice.below(1000))
                } else {
                    String::new()
                });
                csv.write_record(&row)?;
            }
        }
        Kind::RenewalsErp => {
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
        }
        // The ERP's order history: customer `n` bought 天下+全閱讀 as order `601000000+n` (the renewal of
        // `renewals-erp` row `n` agreed to renew it), paid a year before the cut-over; every fifth also a book.
        Kind::Orders => {
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
        }
        // The ERP's shipping file: the book of every fifth history order (`orders` of 5 × rows rows).
        Kind::Shipments => {
            csv.write_record(["ORDER_NUMBER", "LINE", "QUANTITY", "SHIPPED_AT", "CARRIER", "TRACKING_NO"])?;
            let day = (as_of - Duration::days(1)).format("%Y/%m/%d 15:00:00").to_string();
            for n in 1..=rows {
                let number = (601_000_000 + 5 * n).to_string();
                csv.write_record([number.as_str(), "2", "1", &day, "黑貓宅急便", &format!("9077{:08}", n)])?;
            }
        }
        // The evening's changes for customers 1…rows (their renewals from `renewals-erp`): every third skips
        // one monthly 全閱讀 cycle (the benchmark makes those renewals monthly), the others cancel their
        // 天下 renewal at the end of the term, with a reason from the list or in their own words.
        // APP 權益: every member a monthly store subscription of 全閱讀, one in three lapsed.
        Kind::AppEntitlements => {
            csv.write_record(["USERID", "PRODUCT", "ORIGINAL_TRANSACTION_ID", "EXPIRES_DATE", "PROMOTION"])?;
            for n in 1..=rows {
                let offset = if n % 3 == 0 { -40 } else { 20 };
                let expires = (as_of + chrono::Duration::days(offset)).format("%Y/%m/%d").to_string();
                let original = format!("{}", 300_000_000_000_u64 + n);
                csv.write_record([account(n).as_str(), "KCW", &original, &expires, "KC24010001"])?;
            }
        }
        // SUBSCRIPTORDL: every member a 全閱讀 term, a quarter of them lapsed, every fifth row a print magazine.
        Kind::DigitalEntitlements => {
            csv.write_record(["SUBNO", "RCVEMAIL", "magcode", "SUBBEGINDATE", "SUBENDDATE"])?;
            for n in 1..=rows {
                let (begin, end) = if n % 4 == 0 { (-400, -35) } else { (-30, 335) };
                let day =
                    |offset: i64| (as_of + chrono::Duration::days(offset)).format("%Y/%m/%d").to_string();
                let magcode = if n % 5 == 0 { "GC" } else { "KC" };
                csv.write_record([
                    customer_no(n).as_str(),
                    account(n).as_str(),
                    magcode,
                    &day(begin),
                    &day(end),
                ])?;
            }
        }
        // 關貿臨時權益: every member a month of 全閱讀, every third also of the 天下 digital edition.
        Kind::TemporaryEntitlements => {
            csv.write_record([
                "USERID",
                "CVALIDDATE",
                "HVALIDDATE",
                "JVALIDDATE",
                "KVALIDDATE",
                "WVALIDDATE",
            ])?;
            let month =
                as_of.checked_add_days(chrono::Days::new(30)).unwrap_or(as_of).format("%Y/%m/%d").to_string();
            for n in 1..=rows {
                let tianxia = if n % 3 == 0 { month.as_str() } else { "" };
                csv.write_record([account(n).as_str(), tianxia, "", "", "", month.as_str()])?;
            }
        }
        Kind::SubscriptionChanges => {
            csv.write_record([
                "customerNo",
                "account",
                "action",
                "product",
                "renewal",
                "from",
                "count",
                "reason",
            ])?;
            let words = ["搬家到國外", "太忙沒時間看", "家裡已有訂閱"];
            for n in 1..=rows {
                let no = customer_no(n);
                let day = as_of.to_string();
                match n % 3 {
                    0 => csv.write_record([no.as_str(), "", "SKIP", "KCW", "", &day, "1", ""])?,
                    1 => csv.write_record([no.as_str(), "", "CANCEL", "GCV", "", &day, "", "PRICE"])?,
                    _ => {
                        csv.write_record([no.as_str(), "", "CANCEL", "GCV", "", &day, "", dice.pick(&words)])?
                    }
                }
            }
        }
        Kind::Issues => {
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
        }
    }
    csv.flush()?;
    Ok(())
}
