//! The address form, prefilled with where the order ships now.

use super::input::FIELDS;
use crate::actions::fields::{field, text};
use crate::bigcommerce::models::ShippingAddress;
use crate::ids::{OrderId, RequestId};
use serde_json::{json, Value};

pub fn address_form(order: OrderId, now: &ShippingAddress, request_id: &RequestId) -> Value {
    let now = &now.address;
    let current = |attr: &str| -> &str {
        match attr {
            "first_name" => &now.first_name,
            "last_name" => &now.last_name,
            "company" => &now.company,
            "street_1" => &now.street_1,
            "street_2" => &now.street_2,
            "city" => &now.city,
            "state" => &now.state,
            "zip" => &now.zip,
            "country_iso2" => &now.country_iso2,
            "phone" => &now.phone,
            _ => "",
        }
    };
    let mut sections = vec![text(format!(
        "Order #{order} ships to: {}. Nothing has shipped yet, so the address can change.",
        [
            format!("{} {}", now.first_name, now.last_name)
                .trim()
                .to_string(),
            now.street_1.clone(),
            now.city.clone(),
            now.zip.clone(),
            now.country_iso2.clone(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    ))];
    for (attr, label, required) in FIELDS {
        sections.push(field(label, attr, current(attr), "", !required));
    }
    json!({
        "title": format!("Change the shipping address of order #{order}"),
        "submitButton": "Change address",
        "closeButton": "Keep address",
        "actionUrl": format!("/orders/{order}/address/{request_id}"),
        "sections": sections,
    })
}
