//! Whether an order may be refunded, and what remains refundable after earlier refunds.

use crate::actions::order::{payment, status, status_name, Payment};
use crate::bigcommerce::models::{Order, Refund};
use crate::guardrails::Guardrails;
use crate::money::{Currency, Money};
use rust_decimal::Decimal;

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
                status_name(o)
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

/// `total`, in the order's own currency, in the store's default currency (through the order's
/// exchange rate), and that currency.
pub fn in_store_currency(total: Decimal, o: &Order) -> (Decimal, Currency) {
    let rate = o.store_default_to_transactional_exchange_rate;
    let in_default = if rate > Decimal::ZERO {
        total / rate
    } else {
        total
    };
    let default = Currency::new(&o.store_default_currency_code).unwrap_or_else(Currency::usd);
    (in_default, default)
}

/// The managers' ceiling (`max_refund`, in the store's default currency) against a refund in the
/// order's own currency, through the order's exchange rate.
pub fn within_refund_ceiling(total: Decimal, o: &Order, rails: &Guardrails) -> Result<(), String> {
    match rails.max_refund {
        None => Ok(()),
        Some(max) => under_ceiling(total, o, max, "Refunds"),
    }
}

/// `total`, in the order's own currency, against a manager's ceiling `max` in the store's
/// default currency: `Err` says, in words, that `what` above it need a manager and how much
/// this one is.
pub fn under_ceiling(total: Decimal, o: &Order, max: Decimal, what: &str) -> Result<(), String> {
    let (in_default, default) = in_store_currency(total, o);
    if in_default > max {
        return Err(format!(
            "{what} above {} need a manager; this one is {}.",
            Money::new(max, default.clone()),
            Money::new(in_default, default)
        ));
    }
    Ok(())
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
    use crate::actions::order::tests::order;
    use serde_json::json;

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
