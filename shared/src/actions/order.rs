//! Facts about an order every action decides from: BigCommerce's status ids and the state of
//! its payment.

use crate::bigcommerce::models::Order;

/// BigCommerce's status ids.
pub mod status {
    pub const INCOMPLETE: u64 = 0;
    pub const PENDING: u64 = 1;
    pub const SHIPPED: u64 = 2;
    pub const PARTIALLY_SHIPPED: u64 = 3;
    pub const REFUNDED: u64 = 4;
    pub const CANCELLED: u64 = 5;
    pub const DECLINED: u64 = 6;
    pub const AWAITING_PAYMENT: u64 = 7;
    pub const AWAITING_PICKUP: u64 = 8;
    pub const AWAITING_SHIPMENT: u64 = 9;
    pub const COMPLETED: u64 = 10;
    pub const AWAITING_FULFILLMENT: u64 = 11;
    pub const MANUAL_VERIFICATION: u64 = 12;
    pub const DISPUTED: u64 = 13;
    pub const PARTIALLY_REFUNDED: u64 = 14;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    Unpaid,
    /// Authorised, not captured: a void releases it.
    Authorized,
    Captured,
    Void,
}

pub fn payment(o: &Order) -> Payment {
    let s = o.payment_status.to_ascii_lowercase();
    if s.contains("void") {
        Payment::Void
    } else if s.starts_with("authori") {
        Payment::Authorized
    } else if s.is_empty() || s == "pending" || s == "declined" {
        Payment::Unpaid
    } else {
        Payment::Captured
    }
}

/// The status as the store shows it (a custom label if the store set one).
pub fn status_name(o: &Order) -> String {
    if o.custom_status.trim().is_empty() {
        o.status.clone()
    } else {
        o.custom_status.clone()
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use serde_json::json;

    /// An order of `status_id` with one item, for the policy tests.
    pub fn order(status_id: u64, payment_status: &str, items_shipped: u64) -> Order {
        serde_json::from_value(json!({
            "id": 7, "status_id": status_id, "status": "Some Status", "payment_status": payment_status,
            "items_shipped": items_shipped, "total_inc_tax": "60.0000", "shipping_cost_inc_tax": "10.0000",
            "currency_code": "USD",
            "consignments": {"shipping": [{"id": 71, "line_items": [
                {"id": 1, "name": "Mug", "quantity": 2, "quantity_refunded": 1, "price_inc_tax": "25.0000"}
            ]}]}
        }))
        .unwrap_or_default()
    }
}
