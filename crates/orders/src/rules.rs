//! Pure order rules.

use crate::LineStatus;
use catalog::Category;

/// The fulfilment subinventory lines go to unless configured otherwise (seed 004: 出貨倉庫改為A01).
pub const DEFAULT_SUBINVENTORY: &str = "A01";

/// **R2:** the status of a new order line. Seed 004 confirms lines of every category immediately
/// (雜誌, 數位, 書, 活動(票), 贈品或是聯賣 — 立即 Confirm).
pub const fn initial_line_status(category: Category) -> LineStatus {
    match category {
        Category::Magazine | Category::Digital | Category::Book | Category::Event | Category::Gift => {
            LineStatus::Confirmed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_every_category_is_confirmed_on_creation() {
        for category in
            [Category::Magazine, Category::Digital, Category::Book, Category::Event, Category::Gift]
        {
            assert_eq!(initial_line_status(category), LineStatus::Confirmed, "{category:?}");
        }
        assert_eq!(DEFAULT_SUBINVENTORY, "A01");
    }
}
