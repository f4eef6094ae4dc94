//! The refund form: what remains, per item, shipping and as an amount.

use super::input::REFUND_REASONS;
use super::policy::Refundable;
use crate::actions::fields::{field, select, text};
use crate::ids::{OrderId, RequestId};
use serde_json::{json, Value};

pub fn refund_form(
    order: OrderId,
    r: &Refundable,
    registered: bool,
    request_id: &RequestId,
) -> Value {
    let mut sections = vec![text(format!(
        "Refundable on order #{order}: {} in all (shipping {}).",
        r.money(r.total_left),
        r.money(r.shipping_left)
    ))];
    sections.push(select(
        "Refund",
        "mode",
        &[
            ("partial", "Partial: the items and amounts below"),
            ("full", "Full: everything that remains"),
        ],
        false,
        Some("partial"),
    ));
    for item in r.items.iter().filter(|i| i.quantity_left > 0) {
        sections.push(field(
            &format!("{} ({} each)", item.name, r.money(item.unit_price)),
            &format!("qty_{}", item.id),
            "0",
            &format!("Quantity to refund, 0 to {}", item.quantity_left),
            true,
        ));
    }
    if r.shipping_left > rust_decimal::Decimal::ZERO && r.shipping_item_id.is_some() {
        sections.push(field(
            "Shipping",
            "shipping",
            "0.00",
            &format!("Up to {}", r.money(r.shipping_left)),
            true,
        ));
    }
    sections.push(field(
        "Other amount",
        "amount",
        "0.00",
        &format!("An order-level amount, up to {}", r.money(r.total_left)),
        true,
    ));
    sections.push(select("Reason", "reason", REFUND_REASONS, false, None));
    let mut dest = vec![("original", "Original payment")];
    if registered {
        dest.push(("store_credit", "Store credit"));
    }
    sections.push(select(
        "Refund to",
        "destination",
        &dest,
        false,
        Some("original"),
    ));
    json!({
        "title": format!("Refund order #{order}"),
        "submitButton": "Refund",
        "closeButton": "Cancel",
        "actionUrl": format!("/orders/{order}/refund/{request_id}"),
        "sections": sections,
    })
}
