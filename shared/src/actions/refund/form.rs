//! The refund form: what remains, per item, shipping and as an amount.

use super::policy::Refundable;
use crate::actions::fields::{checkbox, field, select, text};
use crate::actions::outcomes::describe_payments;
use crate::actions::reasons::Reasons;
use crate::bigcommerce::models::{Order, Refund};
use crate::ids::{OrderId, RequestId};
use serde_json::{json, Value};

/// How the order was paid and every earlier refund, so nobody refunds twice by hand.
pub fn history(o: &Order, refunds: &[Refund], r: &Refundable) -> String {
    let paid = if o.payment_method.trim().is_empty() {
        "Paid".to_string()
    } else {
        format!("Paid by {}", o.payment_method.trim())
    };
    if refunds.is_empty() {
        return format!("{paid}. No earlier refunds.");
    }
    let earlier: Vec<String> = refunds
        .iter()
        .map(|x| {
            let when = x
                .created
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "undated".into());
            format!(
                "{when} {} to {}",
                r.money(x.total_amount),
                describe_payments(&x.payments)
            )
        })
        .collect();
    format!("{paid}. Earlier refunds: {}.", earlier.join("; "))
}

pub fn refund_form(
    order: OrderId,
    r: &Refundable,
    registered: bool,
    history: &str,
    restock_default: bool,
    reasons: &Reasons,
    request_id: &RequestId,
) -> Value {
    let mut sections = vec![
        text(format!(
            "Refundable on order #{order}: {} in all (shipping {}).",
            r.money(r.total_left),
            r.money(r.shipping_left)
        )),
        text(history),
    ];
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
    sections.push(checkbox(
        "Return to stock",
        "restock",
        "Return the refunded items to stock (BigCommerce does not do it by itself)",
        restock_default,
    ));
    sections.push(reasons.select());
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
