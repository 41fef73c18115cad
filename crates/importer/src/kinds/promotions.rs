//! `promotions`: the ERP's 方案 export, one row per promotion item, the lines of a promotion together:
//! `promotionCode, name, totalAmount, billingCycle (ONE_OFF, MONTHLY, YEARLY; default ONE_OFF),
//! renewalPromotionCode, validFrom, validTo, status, itemNo, sellingPrice, quantity (default 1)`. Each
//! promotion is replaced as a whole through the catalog's writer (R18's validation); the lines of one
//! promotion never straddle two batches, and lines of a promotion that are not together are rejected.
//! Its counts are promotions; `read` and `rejected` are lines.

use super::catalog_rows::{self, Rows, status};
use super::items::small_int;
use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Keyed, Loader, Options, Outcome, Parsed, parse};
use catalog::{Promotion, PromotionDefinition, RenewalPeriod};
use platform_core::Money;
use sea_orm::DatabaseConnection;

pub(crate) struct Promotions;

const COLUMNS: &[Column] = &[
    required("promotionCode"),
    required("name"),
    required("totalAmount"),
    optional("billingCycle"),
    optional("renewalPromotionCode"),
    optional("validFrom"),
    optional("validTo"),
    optional("status"),
    required("itemNo"),
    required("sellingPrice"),
    optional("quantity"),
];

/// One line: its promotion's fields and one item.
pub(crate) struct PromotionLine {
    promotion: Promotion,
    item: (String, Money, i32),
}

impl Keyed for PromotionLine {
    fn keys(&self) -> Vec<String> {
        Vec::new()
    }

    fn group(&self) -> Option<&str> {
        Some(&self.promotion.promotion_code)
    }
}

fn billing_cycle(raw: Option<&str>) -> Result<Option<RenewalPeriod>, String> {
    match raw.map(str::to_uppercase).as_deref() {
        None | Some("ONE_OFF") => Ok(None),
        Some("MONTHLY") => Ok(Some(RenewalPeriod::Monthly)),
        Some("YEARLY") => Ok(Some(RenewalPeriod::Yearly)),
        Some(other) => Err(format!("billingCycle: {other:?} is not ONE_OFF, MONTHLY or YEARLY")),
    }
}

impl Loader for Promotions {
    type Row = PromotionLine;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        _options: &Options,
    ) -> Result<Parsed<PromotionLine>, String> {
        let get = |column| header.get(record, column);
        let promotion = Promotion {
            promotion_code: parse::text("promotionCode", get("promotionCode").unwrap_or_default(), 32)?,
            name: parse::text("name", get("name").unwrap_or_default(), 200)?,
            total_amount: Money::new(parse::int("totalAmount", get("totalAmount").unwrap_or_default())?),
            renewal_period: billing_cycle(get("billingCycle"))?,
            renewal_promotion_code: get("renewalPromotionCode")
                .map(|v| parse::text("renewalPromotionCode", v, 32))
                .transpose()?,
            status: status("status", get("status"))?,
            valid_from: get("validFrom").map(|v| parse::date("validFrom", v)).transpose()?,
            valid_to: get("validTo").map(|v| parse::date("validTo", v)).transpose()?,
            items: Vec::new(),
        };
        let item = (
            parse::text("itemNo", get("itemNo").unwrap_or_default(), 32)?,
            Money::new(parse::int("sellingPrice", get("sellingPrice").unwrap_or_default())?),
            small_int("quantity", get("quantity"))?.unwrap_or(1),
        );
        Ok(Parsed::one(PromotionLine { promotion, item }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, PromotionLine)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        // The batch's lines as whole promotions, in order; lines disagreeing on their promotion's fields
        // reject the promotion.
        let mut definitions: Vec<PromotionDefinition> = Vec::new();
        let mut lines: Vec<Vec<u64>> = Vec::new();
        let mut disagreeing: Vec<usize> = Vec::new();
        for (line, row) in batch {
            let index = definitions.len().saturating_sub(1);
            match definitions.last_mut() {
                Some(last) if last.promotion.promotion_code == row.promotion.promotion_code => {
                    if last.promotion != row.promotion {
                        disagreeing.push(index);
                    }
                    last.items.push(row.item);
                    if let Some(of_last) = lines.last_mut() {
                        of_last.push(line);
                    }
                }
                _ => {
                    definitions.push(PromotionDefinition { promotion: row.promotion, items: vec![row.item] });
                    lines.push(vec![line]);
                }
            }
        }
        let mut rejected = Vec::new();
        disagreeing.dedup();
        for index in disagreeing.into_iter().rev() {
            let code = definitions.remove(index).promotion.promotion_code;
            for line in lines.remove(index) {
                rejected.push((
                    line,
                    format!("promotionCode: the lines of {code} disagree on its name, amount or plan"),
                ));
            }
        }
        // A promotion renewing into another of the same batch is checked with it: such a batch is not split.
        let codes: std::collections::HashSet<&str> =
            definitions.iter().map(|d| d.promotion.promotion_code.as_str()).collect();
        let linked = definitions.iter().any(|d| {
            d.promotion
                .renewal_promotion_code
                .as_deref()
                .is_some_and(|c| c != d.promotion.promotion_code && codes.contains(c))
        });
        let mut outcome =
            catalog_rows::merge(db, options, linked, Rows::Promotions(&definitions), &lines).await?;
        outcome.rejects.extend(rejected);
        outcome.rejects.sort_by_key(|r| r.0);
        Ok(outcome)
    }
}
