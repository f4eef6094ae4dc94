//! The discount form.

use super::input::DISCOUNT_TYPES;
use crate::actions::fields::{field, path_segment, select, text};
use crate::ids::{RequestId, ShopperId};
use serde_json::{json, Value};

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
