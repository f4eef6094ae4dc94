//! A note goes on every order but one that is Cancelled, Declined or Incomplete (a checkout
//! never finished): there is nothing left for the team to act on there.

use crate::actions::order::{status, status_name};
use crate::bigcommerce::models::Order;

pub fn note_allowed(o: &Order) -> Result<(), String> {
    use status::*;
    match o.status_id {
        CANCELLED | DECLINED | INCOMPLETE => Err(format!(
            "Order #{} is {}; it takes no more notes.",
            o.id,
            status_name(o)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::order::tests::order;

    #[test]
    fn every_order_but_a_dead_one() {
        for s in [
            status::PENDING,
            status::AWAITING_FULFILLMENT,
            status::SHIPPED,
            status::COMPLETED,
            status::REFUNDED,
            status::DISPUTED,
        ] {
            assert!(note_allowed(&order(s, "captured", 0)).is_ok(), "{s}");
        }
        for s in [status::CANCELLED, status::DECLINED, status::INCOMPLETE] {
            let why = note_allowed(&order(s, "", 0)).unwrap_err();
            assert!(why.contains("#7"), "{why}");
        }
    }
}
