//! An address can change only before anything ships, and only on an order that will ship.

use crate::actions::order::{status, status_name};
use crate::bigcommerce::models::Order;

pub fn address_change_allowed(o: &Order) -> Result<(), String> {
    use status::*;
    let n = o.id;
    if o.items_shipped > 0 {
        return Err(format!(
            "Order #{n} has shipped items; its address can no longer change. Contact the carrier instead."
        ));
    }
    match o.status_id {
        PENDING | AWAITING_PAYMENT | AWAITING_FULFILLMENT | AWAITING_SHIPMENT
        | MANUAL_VERIFICATION | INCOMPLETE => Ok(()),
        AWAITING_PICKUP => Err(format!(
            "Order #{n} is for pickup; it has no shipping address to change."
        )),
        _ => Err(format!(
            "Order #{n} is {}; its shipping address can no longer change.",
            status_name(o)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::order::tests::order;

    #[test]
    fn only_before_anything_ships() {
        assert!(
            address_change_allowed(&order(status::AWAITING_FULFILLMENT, "captured", 0)).is_ok()
        );
        assert!(address_change_allowed(&order(status::PENDING, "", 0)).is_ok());
        for (s, shipped) in [
            (status::AWAITING_FULFILLMENT, 1),
            (status::SHIPPED, 2),
            (status::COMPLETED, 0),
            (status::CANCELLED, 0),
            (status::AWAITING_PICKUP, 0),
        ] {
            let why = address_change_allowed(&order(s, "captured", shipped)).unwrap_err();
            assert!(why.contains("#7"), "{why}");
        }
    }
}
