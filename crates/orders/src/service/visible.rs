//! What a caller may read of orders (SPEC §3): the use cases behind `order` and `orders`, taking the
//! [`Principal`]. Admins and services read every order; a member only the orders bound to it.

use super::OrderService;
use super::load::OrderRef;
use crate::OrdersError;
use crate::model::{Order, OrderFilter};
use members::{AccessError, MembersError, Principal};

impl OrderService {
    /// The order `order_no` as `caller` may see it: admins and services any (`None` when there is none); a
    /// member only an order bound to it, and an unknown order is as forbidden to it as another's.
    pub async fn order_for(&self, caller: &Principal, order_no: &str) -> Result<Option<Order>, OrdersError> {
        caller.require_token().map_err(MembersError::from)?;
        let found = self.find(order_no.trim()).await?;
        if let Some(own) = caller.member_account()
            && found.as_ref().and_then(|o| o.member_account.as_ref()) != Some(own)
        {
            return Err(
                MembersError::from(AccessError::Forbidden("a member sees only its own orders")).into()
            );
        }
        Ok(found)
    }

    /// Up to `limit` orders matching `filter` as `caller` may list them, newest first, older than the row
    /// id `before`: a member's filter is pinned to its own account (asking for another's is forbidden).
    pub async fn orders_for(
        &self,
        caller: &Principal,
        mut filter: OrderFilter,
        before: Option<platform_core::OrderId>,
        limit: u64,
    ) -> Result<Vec<OrderRef>, OrdersError> {
        filter.member = caller.scope(filter.member.as_ref()).map_err(MembersError::from)?;
        self.list(&filter, before, limit).await
    }
}
