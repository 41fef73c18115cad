//! Realistic exports of any size, in each kind's format, for benchmarks, tests and rehearsals. The rows
//! are deterministic for a seed and hang together across kinds: customer `n` is `CW<n:07>` with ERP id
//! `400000+n`, member `n` is `member<n>@example.com`, and MEMBERSUBNO links member `n` to customer `n`.
//! Magazine volumes are taken from the demo issue calendar around `as_of`, as a real cut-over's would be.

mod holdings;
mod orders;
mod people;
mod products;

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

/// What every kind's writer works with: the file, the dice, how many rows, the day and its issue calendar.
pub(super) struct Gen<W: Write> {
    csv: csv::Writer<W>,
    dice: Dice,
    rows: u64,
    as_of: NaiveDate,
    seed: u64,
    calendar: Vec<catalog::Item>,
}

/// A magazine volume of `code` picked from the calendar.
fn volume_near(calendar: &[catalog::Item], code: &str, dice: &mut Dice) -> Option<i32> {
    let issues: Vec<i32> = calendar
        .iter()
        .filter(|i| i.product_code.as_deref() == Some(code))
        .filter_map(|i| i.mz_volume)
        .collect();
    let at = usize::try_from(dice.below(issues.len() as u64)).unwrap_or(0);
    issues.get(at).copied()
}

/// Writes `rows` rows of `kind` (after the header) to `out`.
pub fn write(kind: Kind, rows: u64, as_of: NaiveDate, seed: u64, out: impl Write) -> csv::Result<()> {
    let mut g = Gen {
        csv: csv::Writer::from_writer(out),
        dice: Dice(seed.max(1)),
        rows,
        as_of,
        seed,
        calendar: catalog::demo::issue_calendar(as_of - Duration::days(400), as_of + Duration::days(800)),
    };
    match kind {
        Kind::Items => products::items(&mut g)?,
        Kind::Promotions => products::promotions(&mut g)?,
        Kind::Issues => products::issues(&mut g)?,
        Kind::Customers => people::customers(&mut g)?,
        Kind::MemberProfiles => people::member_profiles(&mut g)?,
        Kind::MemberCustomers => people::member_customers(&mut g)?,
        Kind::EntitlementsErp => holdings::entitlements_erp(&mut g)?,
        Kind::RenewalsErp => holdings::renewals_erp(&mut g)?,
        Kind::AppEntitlements => holdings::app_entitlements(&mut g)?,
        Kind::DigitalEntitlements => holdings::digital_entitlements(&mut g)?,
        Kind::TemporaryEntitlements => holdings::temporary_entitlements(&mut g)?,
        Kind::SubscriptionChanges => holdings::subscription_changes(&mut g)?,
        Kind::Orders => orders::orders(&mut g)?,
        Kind::Shipments => orders::shipments(&mut g)?,
    }
    g.csv.flush()?;
    Ok(())
}
