//! The replacement form: a quantity per item (each defaulting to what was ordered), a reason,
//! an optional note and "send another".

use crate::actions::fields::{checkbox, field, text};
use crate::actions::note::input::MAX_CHARS;
use crate::actions::reasons::Reasons;
use crate::bigcommerce::models::{Order, OrderProduct};
use crate::ids::{OrderId, RequestId};
use serde_json::{json, Value};

/// `Mug (Colour: Blue)`: the name and the options chosen.
pub fn item_label(p: &OrderProduct) -> String {
    let chosen: Vec<String> = p
        .product_options
        .iter()
        .filter(|o| !o.display_name.is_empty())
        .map(|o| format!("{}: {}", o.display_name, o.display_value))
        .collect();
    if chosen.is_empty() {
        p.name.clone()
    } else {
        format!("{} ({})", p.name, chosen.join(", "))
    }
}

pub fn replacement_form(
    o: &Order,
    earlier: &[OrderId],
    reasons: &Reasons,
    request_id: &RequestId,
) -> Value {
    let id = o.id;
    let mut sections = vec![text(format!(
        "Sends the items below again as a new order at no charge, Awaiting Fulfillment, to order #{id}'s shipping address. BigCommerce emails the shopper nothing about it."
    ))];
    if let Some(first) = earlier.first() {
        sections.push(text(format!(
            "Order #{id} already had replacement order #{first}: tick \"Send another\" to send one more."
        )));
    }
    for p in o.line_items() {
        sections.push(field(
            &item_label(p),
            &format!("qty_{}", p.id),
            &p.quantity.to_string(),
            &format!("Quantity to send, 0 to {}", p.quantity),
            true,
        ));
    }
    sections.push(reasons.select());
    sections.push(field(
        "Note",
        "note",
        "",
        &format!("Optional, at most {MAX_CHARS} characters: goes on the new order's staff notes"),
        true,
    ));
    sections.push(checkbox(
        "Send another",
        "another",
        "Send it even though this order already had a replacement",
        false,
    ));
    json!({
        "title": format!("Send a replacement for order #{id}"),
        "submitButton": "Send replacement",
        "closeButton": "Cancel",
        "actionUrl": format!("/orders/{id}/replacement/{request_id}"),
        "sections": sections,
    })
}
