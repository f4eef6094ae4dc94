//! The note form: one text field.

use super::input::MAX_CHARS;
use crate::actions::fields::{field, text};
use crate::ids::{OrderId, RequestId};
use serde_json::{json, Value};

pub fn note_form(order: OrderId, request_id: &RequestId) -> Value {
    json!({
        "title": format!("Note order #{order}"),
        "submitButton": "Add note",
        "closeButton": "Cancel",
        "actionUrl": format!("/orders/{order}/note/{request_id}"),
        "sections": [
            text(format!(
                "Adds a line to the staff notes of order #{order}, below what is there. Only the store's team sees it."
            )),
            field(
                "Note",
                "note",
                "",
                &format!("At most {MAX_CHARS} characters"),
                false,
            ),
        ],
    })
}
