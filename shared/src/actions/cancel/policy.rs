//! When an order may be cancelled, and how (status only, void, or refund first).

use crate::actions::order::{payment, status, status_name, Payment};
use crate::bigcommerce::models::Order;

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

pub fn cancel_plan(o: &Order) -> Result<CancelPlan, String> {
    use status::*;
    let n = o.id;
    if o.items_shipped > 0 && o.status_id != REFUNDED {
        return Err(format!(
            "Order #{n} has shipped items ({}); it cannot be cancelled. Refund it instead.",
            status_name(o)
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
            status_name(o)
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
            status_name(o)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::order::tests::order;

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
}
