//! The catalog's domain values as the rows the writer inserts.

use crate::entity::{item, product, promotion, promotion_item};
use crate::model::{Cadence, Item, Product, PromotionDefinition};
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;

pub(super) fn product_row(p: &Product, at: DateTime<Utc>) -> product::ActiveModel {
    let (days, months) = match p.cadence {
        Some(Cadence::Days(d)) => (i32::try_from(d).ok(), None),
        Some(Cadence::Months(m)) => (None, i32::try_from(m).ok()),
        None => (None, None),
    };
    product::ActiveModel {
        product_code: Set(p.product_code.clone()),
        name: Set(p.name.clone()),
        kind: Set(p.kind),
        digital: Set(p.digital),
        sub_category: Set(p.sub_category.clone()),
        cadence_days: Set(days),
        cadence_months: Set(months),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

pub(super) fn item_row(i: &Item, at: DateTime<Utc>) -> item::ActiveModel {
    item::ActiveModel {
        item_no: Set(i.item_no.clone()),
        name: Set(i.name.clone()),
        category: Set(i.category),
        sub_category: Set(i.sub_category.clone()),
        product_code: Set(i.product_code.clone()),
        term_issues: Set(i.term_issues),
        term_months: Set(i.term_months),
        term_days: Set(i.term_days),
        mz_volume: Set(i.mz_volume),
        publish_date: Set(i.publish_date),
        item_status: Set(i.item_status),
        list_price: Set(i.list_price),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

pub(super) fn promotion_row(d: &PromotionDefinition, at: DateTime<Utc>) -> promotion::ActiveModel {
    let p = &d.promotion;
    promotion::ActiveModel {
        promotion_code: Set(p.promotion_code.clone()),
        name: Set(p.name.clone()),
        total_amount: Set(p.total_amount),
        renewal_period: Set(p.renewal_period),
        renewal_promotion_code: Set(p.renewal_promotion_code.clone()),
        status: Set(p.status),
        valid_from: Set(p.valid_from),
        valid_to: Set(p.valid_to),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

pub(super) fn promotion_item_rows(
    d: &PromotionDefinition,
    at: DateTime<Utc>,
) -> Vec<promotion_item::ActiveModel> {
    d.items
        .iter()
        .zip(0..)
        .map(|((item_no, price, quantity), position)| promotion_item::ActiveModel {
            promotion_code: Set(d.promotion.promotion_code.clone()),
            position: Set(position),
            item_no: Set(item_no.clone()),
            selling_price: Set(*price),
            quantity: Set(*quantity),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .collect()
}
