//! The store credit form: the balance now, an amount in the store's default currency and a
//! reason.

use crate::actions::fields::{field, text};
use crate::actions::reasons::Reasons;
use crate::ids::{CustomerId, RequestId};
use crate::money::Money;
use serde_json::{json, Value};

pub fn credit_form(
    customer: CustomerId,
    name: &str,
    balance: &Money,
    ceiling: &Money,
    reasons: &Reasons,
    request_id: &RequestId,
) -> Value {
    let code = balance.currency.code();
    let who = if name.trim().is_empty() {
        format!("Customer {customer}")
    } else {
        name.trim().to_string()
    };
    json!({
        "title": "Add store credit",
        "submitButton": "Add credit",
        "closeButton": "Cancel",
        "actionUrl": format!("/customers/{customer}/store-credit/{request_id}"),
        "sections": [
            text(format!(
                "{who} has {balance} of store credit. This adds to it, in the store's default currency ({code}), up to {ceiling}; the shopper spends it at checkout when signed in."
            )),
            field(
                "Amount",
                "amount",
                "",
                &format!("In {code}, up to {ceiling}"),
                false,
            ),
            reasons.select(),
        ],
    })
}
