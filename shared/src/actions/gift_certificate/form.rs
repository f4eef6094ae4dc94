//! The gift certificate form, prefilled with the shopper's name and email, and the sender: the
//! secret's, else the store's own name and email address.

use crate::actions::fields::{field, path_segment, text};
use crate::actions::reasons::Reasons;
use crate::guardrails::Guardrails;
use crate::ids::{RequestId, ShopperId};
use crate::storefront::StoreFacts;
use serde_json::{json, Value};

/// The sender's name when neither the secret nor the store names one.
pub const DEFAULT_FROM_NAME: &str = "Customer care";

pub fn gift_form(
    shopper: &ShopperId,
    name: &str,
    email: &str,
    rails: &Guardrails,
    facts: &StoreFacts,
    reasons: Option<&Reasons>,
    request_id: &RequestId,
) -> Value {
    let from_name = rails
        .gift_from_name
        .clone()
        .or_else(|| (!facts.name.is_empty()).then(|| facts.name.clone()))
        .unwrap_or_else(|| DEFAULT_FROM_NAME.to_string());
    let from_email = rails
        .gift_from_email
        .as_deref()
        .or(facts.sender_email.as_deref())
        .unwrap_or("");
    let seg = path_segment(&shopper.to_string());
    let ceiling = rails.max_gift_certificate.normalize();
    let mut sections = vec![
        text(format!("Creates a gift certificate in the store's default currency, up to {ceiling}. BigCommerce does not email certificates made through its API: paste the code to the shopper.")),
        field("Amount", "amount", "", &format!("In the store's default currency, up to {ceiling}"), false),
        field("Shopper's name", "to_name", name, "", false),
        field("Shopper's email", "to_email", email, "", false),
        field("From (name)", "from_name", &from_name, "Who the certificate is from", true),
        field("From (email)", "from_email", from_email, "The store's reply address", false),
    ];
    sections.extend(reasons.map(Reasons::select));
    sections.push(field(
        "Message",
        "message",
        "",
        "Shown with the certificate (optional, 250 characters)",
        true,
    ));
    json!({
        "title": "Give a goodwill gift certificate",
        "submitButton": "Create certificate",
        "closeButton": "Cancel",
        "actionUrl": format!("/customers/{seg}/gift-certificate/{request_id}"),
        "sections": sections,
    })
}
