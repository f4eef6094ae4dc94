//! The cancel form.

use super::policy::CancelPlan;
use crate::actions::fields::{checkbox, field, text};
use crate::actions::reasons::Reasons;
use crate::actions::refund::policy::Refundable;
use crate::ids::{OrderId, RequestId};
use serde_json::{json, Value};

pub fn cancel_form(
    order: OrderId,
    plan: CancelPlan,
    refundable: Option<&Refundable>,
    restock_default: bool,
    reasons: &Reasons,
    request_id: &RequestId,
) -> Value {
    let mut sections = vec![text(match (plan, refundable) {
        (CancelPlan::RefundThenCancel, Some(r)) => format!(
            "Cancels order #{order} and refunds {} to the original payment.",
            r.money(r.total_left)
        ),
        (CancelPlan::VoidThenCancel, _) => {
            format!("Cancels order #{order} and releases the card authorisation.")
        }
        _ => format!("Cancels order #{order}. Nothing was charged, so nothing is refunded."),
    })];
    sections.push(reasons.select());
    sections.push(field(
        "Note",
        "note",
        "",
        "Kept on the order for the team (optional)",
        true,
    ));
    if plan == CancelPlan::RefundThenCancel {
        sections.push(checkbox(
            "Notify the customer",
            "notify",
            "Record that the shopper should hear from us (BigCommerce sends its own status emails per store settings)",
            true,
        ));
    }
    sections.push(checkbox(
        "Return to stock",
        "restock",
        "Return the order's items to stock (BigCommerce does not do it by itself)",
        restock_default,
    ));
    json!({
        "title": format!("{} #{order}", plan.label()),
        "submitButton": plan.label(),
        "closeButton": "Keep order",
        "actionUrl": format!("/orders/{order}/cancel/{request_id}"),
        "sections": sections,
    })
}
