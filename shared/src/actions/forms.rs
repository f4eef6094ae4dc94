//! The Gladly action forms. Each form's `actionUrl` carries a fresh `requestId`, which makes
//! its submit exactly-once.

use super::input::{CANCEL_REASONS, DISCOUNT_TYPES, REFUND_REASONS};
use super::once::{Outcome, Settled};
use super::policy::{CancelPlan, Refundable};
use crate::ids::{OrderId, RequestId, ShopperId};
use serde_json::{json, Value};

/// A new request id: 32 lower-case hex characters.
pub fn new_request_id() -> RequestId {
    RequestId::new_random()
}

/// `guest:jane@x.com` → `guest%3Ajane%40x.com`, for a path segment.
pub fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What settling earlier requests on the order showed, one sentence each, for the agent.
pub fn settled_notes(settled: &[Settled]) -> Vec<String> {
    settled
        .iter()
        .map(|s| match &s.outcome {
            Some(Outcome::Done { message, detail }) => format!(
                "An earlier {} (request {}) did go through: {message}. {detail}",
                s.scope.noun(),
                s.id.short()
            ),
            _ => format!(
                "An earlier {} attempt (request {}) did not go through: it changed nothing.",
                s.scope.noun(),
                s.id.short()
            ),
        })
        .collect()
}

/// The notes as text sections at the top of a form.
pub fn with_notes(mut form: Value, notes: &[String]) -> Value {
    if let Some(sections) = form["sections"].as_array_mut() {
        for (i, n) in notes.iter().enumerate() {
            sections.insert(i, text(n.clone()));
        }
    }
    form
}

fn text(t: impl Into<String>) -> Value {
    json!({ "type": "text", "text": t.into() })
}

fn select(
    label: &str,
    attr: &str,
    options: &[(&str, &str)],
    optional: bool,
    default: Option<&str>,
) -> Value {
    let mut v = json!({
        "type": "input", "label": label, "attr": attr,
        "input": { "type": "select", "placeholder": "Pick one", "optional": optional,
                   "options": options.iter().map(|(value, text)| json!({ "text": text, "value": value })).collect::<Vec<_>>() }
    });
    if let Some(d) = default {
        v["defaultValue"] = json!(d);
    }
    v
}

fn field(label: &str, attr: &str, default: &str, hint: &str, optional: bool) -> Value {
    json!({ "type": "input", "label": label, "attr": attr, "hint": hint, "defaultValue": default,
            "input": { "type": "text", "optional": optional } })
}

fn checkbox(label: &str, attr: &str, text_: &str, default: bool) -> Value {
    json!({ "type": "input", "label": label, "attr": attr, "defaultValue": default,
            "input": { "type": "checkbox", "text": text_ } })
}

pub fn cancel_form(
    order: OrderId,
    plan: CancelPlan,
    refundable: Option<&Refundable>,
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
    sections.push(select("Reason", "reason", CANCEL_REASONS, false, None));
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
    json!({
        "title": format!("{} #{order}", plan.label()),
        "submitButton": plan.label(),
        "closeButton": "Keep order",
        "actionUrl": format!("/orders/{order}/cancel/{request_id}"),
        "sections": sections,
    })
}

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

pub fn discount_form(shopper: &ShopperId, request_id: &RequestId) -> Value {
    let seg = path_segment(&shopper.to_string());
    json!({
        "title": "Create a discount code",
        "submitButton": "Create code",
        "closeButton": "Cancel",
        "actionUrl": format!("/customers/{seg}/discount/{request_id}"),
        "sections": [
            text("Creates a single coupon code in BigCommerce to paste to the shopper."),
            select("Type", "type", DISCOUNT_TYPES, false, Some("percent")),
            field("Value", "value", "10", "Percent (1 to 100) or amount off; ignored for free shipping", true),
            field("Days until it expires", "days", "30", "1 to 365", false),
            field("Minimum purchase", "min_purchase", "0", "Order subtotal needed; 0 for none", true),
            field("Uses", "uses", "1", "How many times the code works (1 = single use)", false),
        ],
    })
}

/// Multi-Storefront: a choice of the storefronts the code works on, the shopper's own first
/// (all of them together, the default), then each alone. `storefronts` are (channel id, name).
pub fn add_storefront_choice(form: &mut Value, storefronts: &[(u64, String)]) {
    if storefronts.is_empty() {
        return;
    }
    let all_ids: Vec<String> = storefronts.iter().map(|(id, _)| id.to_string()).collect();
    let all_names: Vec<&str> = storefronts.iter().map(|(_, n)| n.as_str()).collect();
    let mut options = Vec::new();
    if storefronts.len() > 1 {
        options.push((
            all_ids.join(","),
            format!("All the shopper's storefronts ({})", all_names.join(", ")),
        ));
    }
    options.extend(
        storefronts
            .iter()
            .map(|(id, n)| (id.to_string(), n.clone())),
    );
    let refs: Vec<(&str, &str)> = options
        .iter()
        .map(|(v, t)| (v.as_str(), t.as_str()))
        .collect();
    let default = all_ids.join(",");
    let section = select("Storefronts", "storefronts", &refs, false, Some(&default));
    if let Some(sections) = form["sections"].as_array_mut() {
        sections.push(section);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_fresh_and_path_safe() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(path_segment("guest:jane@x.com"), "guest%3Ajane%40x.com");
    }

    #[test]
    fn discount_form_links_guests_by_encoded_id() {
        let f = discount_form(
            &ShopperId::Guest("riley@example.com".into()),
            &RequestId::parse("abcdefgh").unwrap_or_else(RequestId::new_random),
        );
        assert_eq!(
            f["actionUrl"],
            "/customers/guest%3Ariley%40example.com/discount/abcdefgh"
        );
        assert!(f["sections"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x["attr"] == "type")));
    }
}
