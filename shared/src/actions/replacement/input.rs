//! The replacement form's submitted attributes, read against the order: a whole quantity per
//! item (`qty_{itemId}`, 0 to what was ordered, at least one above 0), a reason from the list,
//! an optional note (read as the note action reads one) and the "send another" box.

use crate::actions::fields::{coded, collect, err, FieldError, Fields};
use crate::actions::note::input::checked;
use crate::actions::reasons::{Reason, Reasons};
use crate::bigcommerce::models::{Order, OrderProduct};

/// The replacement's reasons when the merchant lists none of their own.
pub const REPLACEMENT_REASONS: crate::actions::reasons::Options = &[
    ("damaged", "Arrived damaged"),
    ("not_received", "Never arrived"),
    ("wrong_item", "Wrong item sent"),
    ("defective", "Defective"),
    ("missing_parts", "Missing parts"),
    ("goodwill", "Goodwill gesture"),
    ("other", "Other"),
];

/// The reasons the replacement form offers: the merchant's, else `REPLACEMENT_REASONS`.
pub fn reasons(rails: &crate::guardrails::Guardrails) -> Reasons {
    Reasons::of(rails.reasons.as_ref(), REPLACEMENT_REASONS)
}

/// What the agent asked to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementInput {
    /// (order-product id, quantity), quantities above 0, in the order's own item order.
    pub items: Vec<(u64, u64)>,
    pub reason: Reason,
    /// Empty when none.
    pub note: String,
    /// Send one even if the order had a replacement already.
    pub another: bool,
}

impl ReplacementInput {
    /// The items with their order lines.
    pub fn lines<'a>(&self, o: &'a Order) -> Vec<(&'a OrderProduct, u64)> {
        self.items
            .iter()
            .filter_map(|(id, q)| o.line_items().iter().find(|p| p.id == *id).map(|p| (p, *q)))
            .collect()
    }
}

pub fn parse(
    body: &[u8],
    o: &Order,
    reasons: &Reasons,
) -> Result<ReplacementInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let reason = reasons.collect(&f, &mut e);
    let note = collect(checked(&f), &mut e).unwrap_or_default();
    let another = collect(f.flag("another", false), &mut e).unwrap_or(false);
    let mut wanted: Vec<(u64, u64)> = Vec::new();
    for key in f.0.keys().filter(|k| k.starts_with("qty_")) {
        let line = key[4..]
            .parse::<u64>()
            .ok()
            .and_then(|id| o.line_items().iter().find(|p| p.id == id));
        let Some(line) = line else {
            e.push(coded(key, "not_on_order", "This item is not on the order"));
            continue;
        };
        let Some(text) = f.text(key) else { continue };
        match text.parse::<u64>() {
            Err(_) => e.push(err(
                key,
                format!("Enter a whole number from 0 to {}", line.quantity),
            )),
            Ok(q) if q > line.quantity => e.push(coded(
                key,
                "too_large",
                format!("At most {} of {} were ordered", line.quantity, line.name),
            )),
            Ok(0) => {}
            Ok(q) => wanted.push((line.id, q)),
        }
    }
    if e.is_empty() && wanted.is_empty() {
        let attr = o
            .line_items()
            .first()
            .map_or_else(|| "qty".to_string(), |p| format!("qty_{}", p.id));
        e.push(coded(
            &attr,
            "required",
            "Choose at least one item to send: every quantity is 0",
        ));
    }
    // In the order's own item order, whatever order the attributes came in.
    let items: Vec<(u64, u64)> = o
        .line_items()
        .iter()
        .filter_map(|p| wanted.iter().find(|(id, _)| *id == p.id).copied())
        .collect();
    match reason {
        Some(reason) if e.is_empty() => Ok(ReplacementInput {
            items,
            reason,
            note,
            another,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::note::input::MAX_CHARS;
    use serde_json::{json, Value};

    fn order() -> Order {
        serde_json::from_value(json!({
            "id": 104, "status_id": 2, "items_shipped": 3, "currency_code": "USD",
            "consignments": {"shipping": [{"id": 71, "line_items": [
                {"id": 1007, "product_id": 104, "name": "Beans", "quantity": 2, "price_inc_tax": "28.50"},
                {"id": 1008, "product_id": 105, "name": "Tea", "quantity": 1, "price_inc_tax": "19.99"}
            ]}]}
        }))
        .unwrap_or_default()
    }

    fn of(v: Value) -> Result<ReplacementInput, Vec<FieldError>> {
        parse(
            v.to_string().as_bytes(),
            &order(),
            &reasons(&crate::guardrails::Guardrails::default()),
        )
    }

    /// The one error's (attr, code).
    fn bad(v: Value) -> (String, String) {
        let e = of(v.clone()).err().unwrap_or_default();
        assert_eq!(e.len(), 1, "{v}: {e:?}");
        (e[0].attr.clone(), e[0].code.clone())
    }

    #[test]
    fn what_the_form_sends_reads_back() {
        let got = of(
            json!({"qty_1008": "1", "qty_1007": "2", "reason": "damaged",
                            "note": " box crushed\r\nsee photo ", "another": true}),
        );
        assert_eq!(
            got,
            Ok(ReplacementInput {
                items: vec![(1007, 2), (1008, 1)],
                reason: Reason {
                    value: "damaged".into(),
                    text: "Arrived damaged".into()
                },
                note: "box crushed\nsee photo".into(),
                another: true,
            })
        );
        let got = of(json!({"qty_1007": 1, "qty_1008": "0", "reason": "other"}));
        assert_eq!(
            got.map(|r| (r.items, r.another, r.note)),
            Ok((vec![(1007, 1)], false, String::new()))
        );
    }

    #[test]
    fn every_bad_input_is_named() {
        let ok = |extra: Value| {
            let mut v = json!({"qty_1007": "1", "reason": "damaged"});
            if let (Some(m), Some(x)) = (v.as_object_mut(), extra.as_object()) {
                m.extend(x.clone());
            }
            v
        };
        let all_zero = bad(json!({"qty_1007": "0", "qty_1008": "0", "reason": "damaged"}));
        assert_eq!(all_zero, ("qty_1007".into(), "required".into()));
        assert_eq!(bad(json!({"reason": "damaged"})).1, "required");
        assert_eq!(
            bad(ok(json!({"qty_1007": "-1"}))),
            ("qty_1007".into(), "invalid".into())
        );
        assert_eq!(bad(ok(json!({"qty_1007": -1}))).1, "invalid");
        assert_eq!(bad(ok(json!({"qty_1007": "1.5"}))).1, "invalid");
        assert_eq!(bad(ok(json!({"qty_1007": 1.5}))).1, "invalid");
        assert_eq!(
            bad(ok(json!({"qty_1007": "3"}))),
            ("qty_1007".into(), "too_large".into())
        );
        assert_eq!(
            bad(ok(json!({"qty_9999": "1"}))),
            ("qty_9999".into(), "not_on_order".into())
        );
        assert_eq!(bad(ok(json!({"qty_abc": "1"}))).1, "not_on_order");
        assert_eq!(
            bad(ok(json!({"reason": "bored"}))),
            ("reason".into(), "invalid".into())
        );
        assert_eq!(
            bad(json!({"qty_1007": "1"})),
            ("reason".into(), "required".into())
        );
        assert_eq!(
            bad(ok(json!({"note": "x".repeat(MAX_CHARS + 1)}))),
            ("note".into(), "too_long".into())
        );
        assert_eq!(
            bad(ok(json!({"note": "bell\u{7}"}))),
            ("note".into(), "invalid".into())
        );
        assert_eq!(bad(ok(json!({"another": "maybe"}))).0, "another");
        assert!(of(ok(json!({"note": "tab\there\nnewline"}))).is_ok());
    }
}
