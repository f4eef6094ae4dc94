//! What may be done to an order, decided from its status and payment alone, and what remains
//! refundable. Every refusal is a sentence the agent can read to the shopper.

use crate::bigcommerce::models::{Order, Refund};
use crate::money::{Currency, Money};
use rust_decimal::Decimal;

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

/// How a cancel is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelPlan {
    /// Nothing was taken: only the status changes.
    StatusOnly,
    /// Release the authorisation, then cancel.
    VoidThenCancel,
    /// Refund everything that remains, then cancel.
    RefundThenCancel,
}

impl CancelPlan {
    pub fn label(self) -> &'static str {
        match self {
            CancelPlan::RefundThenCancel => "Cancel & refund",
            _ => "Cancel order",
        }
    }
}

fn name(o: &Order) -> String {
    if o.custom_status.trim().is_empty() {
        o.status.clone()
    } else {
        o.custom_status.clone()
    }
}

pub fn cancel_plan(o: &Order) -> Result<CancelPlan, String> {
    use status::*;
    let n = o.id;
    if o.items_shipped > 0 && o.status_id != REFUNDED {
        return Err(format!(
            "Order #{n} has shipped items ({}); it cannot be cancelled. Refund it instead.",
            name(o)
        ));
    }
    match o.status_id {
        CANCELLED => Err(format!("Order #{n} is already cancelled.")),
        DECLINED => Err(format!(
            "Order #{n} was declined; there is nothing to cancel."
        )),
        DISPUTED => Err(format!(
            "Order #{n} is disputed; settle the dispute with the payment provider first."
        )),
        SHIPPED | PARTIALLY_SHIPPED | COMPLETED => Err(format!(
            "Order #{n} is {}; it cannot be cancelled. Refund it instead.",
            name(o)
        )),
        REFUNDED => Ok(CancelPlan::StatusOnly),
        INCOMPLETE | PENDING | AWAITING_PAYMENT | MANUAL_VERIFICATION | AWAITING_FULFILLMENT
        | AWAITING_SHIPMENT | AWAITING_PICKUP | PARTIALLY_REFUNDED => Ok(match payment(o) {
            Payment::Authorized => CancelPlan::VoidThenCancel,
            Payment::Captured => CancelPlan::RefundThenCancel,
            Payment::Unpaid | Payment::Void => CancelPlan::StatusOnly,
        }),
        other => Err(format!(
            "Order #{n} has status {other} ({}), which this integration does not cancel.",
            name(o)
        )),
    }
}

/// Whether a refund may be offered at all (the form then says how much).
pub fn refund_allowed(o: &Order) -> Result<(), String> {
    use status::*;
    let n = o.id;
    match o.status_id {
        CANCELLED => {
            return Err(format!(
                "Order #{n} is cancelled; there is nothing to refund."
            ))
        }
        REFUNDED => return Err(format!("Order #{n} is already fully refunded.")),
        DECLINED => return Err(format!("Order #{n} was declined; nothing was paid.")),
        DISPUTED => {
            return Err(format!(
                "Order #{n} is disputed; refunds go through the dispute."
            ))
        }
        COMPLETED | SHIPPED | PARTIALLY_SHIPPED | PARTIALLY_REFUNDED | AWAITING_FULFILLMENT
        | AWAITING_SHIPMENT | AWAITING_PICKUP => {}
        _ => {
            return Err(format!(
                "Order #{n} is {}; nothing has been paid yet. Cancel it instead.",
                name(o)
            ))
        }
    }
    match payment(o) {
        Payment::Captured => Ok(()),
        Payment::Authorized => Err(format!(
            "Order #{n}'s payment is only authorised; cancel the order to release it."
        )),
        Payment::Unpaid | Payment::Void => {
            Err(format!("Order #{n} has no captured payment to refund."))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundableItem {
    /// The order-product id (refund `item_id`).
    pub id: u64,
    pub name: String,
    pub quantity_left: u64,
    pub unit_price: Decimal,
}

/// What remains refundable on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub currency: Currency,
    pub items: Vec<RefundableItem>,
    pub shipping_item_id: Option<u64>,
    pub shipping_left: Decimal,
    pub total_left: Decimal,
}

impl Refundable {
    /// From the order (with its line items) and its past refunds. `refunded_amount` on the v2
    /// order is unreliable, so the refunds themselves are summed.
    pub fn of(o: &Order, refunds: &[Refund]) -> Self {
        let refunded: Decimal = refunds.iter().map(|r| r.total_amount).sum();
        let shipping_refunded: Decimal = refunds
            .iter()
            .flat_map(|r| &r.items)
            .filter(|i| i.item_type.eq_ignore_ascii_case("SHIPPING"))
            .map(|i| i.requested_amount)
            .sum();
        let currency = Currency::new(o.currency()).unwrap_or_else(Currency::usd);
        let digits = currency.minor_digits();
        Refundable {
            currency,
            items: o
                .line_items()
                .iter()
                .map(|p| RefundableItem {
                    id: p.id,
                    name: p.name.clone(),
                    quantity_left: p.quantity.saturating_sub(p.quantity_refunded),
                    unit_price: p.price_inc_tax,
                })
                .collect(),
            shipping_item_id: o.shipping_item_id(),
            shipping_left: (o.shipping_cost_inc_tax - shipping_refunded)
                .max(Decimal::ZERO)
                .round_dp(digits),
            total_left: (o.total_inc_tax - refunded)
                .max(Decimal::ZERO)
                .round_dp(digits),
        }
    }

    pub fn money(&self, amount: Decimal) -> String {
        Money::new(amount, self.currency.clone()).to_string()
    }

    pub fn item(&self, id: u64) -> Option<&RefundableItem> {
        self.items.iter().find(|i| i.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(status_id: u64, payment_status: &str, items_shipped: u64) -> Order {
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

    #[test]
    fn cancel_plans_follow_status_and_payment() {
        use status::*;
        assert_eq!(
            cancel_plan(&order(PENDING, "", 0)),
            Ok(CancelPlan::StatusOnly)
        );
        assert_eq!(
            cancel_plan(&order(AWAITING_PAYMENT, "", 0)),
            Ok(CancelPlan::StatusOnly)
        );
        assert_eq!(
            cancel_plan(&order(AWAITING_FULFILLMENT, "captured", 0)),
            Ok(CancelPlan::RefundThenCancel)
        );
        assert_eq!(
            cancel_plan(&order(AWAITING_SHIPMENT, "authorized", 0)),
            Ok(CancelPlan::VoidThenCancel)
        );
        assert_eq!(
            cancel_plan(&order(REFUNDED, "refunded", 0)),
            Ok(CancelPlan::StatusOnly)
        );
        for (s, word) in [
            (SHIPPED, "Refund it instead"),
            (COMPLETED, "Refund it instead"),
            (CANCELLED, "already cancelled"),
            (DECLINED, "declined"),
            (DISPUTED, "disputed"),
        ] {
            let e = cancel_plan(&order(s, "captured", 0)).unwrap_err();
            assert!(e.contains(word) && e.contains("#7"), "{s}: {e}");
        }
        assert!(cancel_plan(&order(AWAITING_FULFILLMENT, "captured", 1))
            .unwrap_err()
            .contains("shipped items"));
    }

    #[test]
    fn refunds_need_captured_money() {
        use status::*;
        assert_eq!(refund_allowed(&order(COMPLETED, "captured", 2)), Ok(()));
        assert_eq!(
            refund_allowed(&order(PARTIALLY_REFUNDED, "partially refunded", 2)),
            Ok(())
        );
        assert_eq!(
            refund_allowed(&order(AWAITING_FULFILLMENT, "captured", 0)),
            Ok(())
        );
        assert!(refund_allowed(&order(PENDING, "", 0))
            .unwrap_err()
            .contains("Cancel it instead"));
        assert!(refund_allowed(&order(REFUNDED, "refunded", 0))
            .unwrap_err()
            .contains("fully refunded"));
        assert!(refund_allowed(&order(AWAITING_SHIPMENT, "authorized", 0))
            .unwrap_err()
            .contains("authorised"));
        assert!(refund_allowed(&order(CANCELLED, "void", 0)).is_err());
    }

    #[test]
    fn refundable_subtracts_past_refunds() {
        let refunds: Vec<Refund> = serde_json::from_value(json!([
            {"id": 1, "total_amount": 30.0, "items": [{"item_type": "PRODUCT", "item_id": 1, "requested_amount": 25.0},
                                                       {"item_type": "SHIPPING", "item_id": 71, "requested_amount": 5.0}]}
        ]))
        .unwrap_or_default();
        let r = Refundable::of(&order(status::COMPLETED, "captured", 2), &refunds);
        assert_eq!(r.items[0].quantity_left, 1);
        assert_eq!(r.shipping_item_id, Some(71));
        assert_eq!(r.money(r.shipping_left), "$5.00");
        assert_eq!(r.money(r.total_left), "$30.00");
    }
}
