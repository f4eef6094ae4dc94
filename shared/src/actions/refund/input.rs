//! The refund form's submitted attributes (or plain JSON from App Platform actions), checked
//! against what remains refundable.

use super::policy::Refundable;
use crate::actions::fields::{coded, collect, err, FieldError, Fields};
use crate::actions::reasons::{Reason, Reasons};
use rust_decimal::Decimal;

/// The refund's reasons when the merchant lists none of their own.
pub const REFUND_REASONS: crate::actions::reasons::Options = &[
    ("damaged", "Arrived damaged"),
    ("not_received", "Not received"),
    ("wrong_item", "Wrong item sent"),
    ("not_as_described", "Not as described"),
    ("changed_mind", "Changed their mind"),
    ("goodwill", "Goodwill gesture"),
    ("other", "Other"),
];

/// The reasons the refund form offers: the merchant's, else `REFUND_REASONS`.
pub fn reasons(rails: &crate::guardrails::Guardrails) -> Reasons {
    Reasons::of(rails.reasons.as_ref(), REFUND_REASONS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    Original,
    StoreCredit,
}

/// A refund the agent asked for, checked against what remains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInput {
    /// (order-product id, quantity)
    pub items: Vec<(u64, u64)>,
    pub shipping: Decimal,
    pub amount: Decimal,
    pub reason: Reason,
    pub destination: Destination,
    pub note: String,
    /// What the items, shipping and amount add up to; the quote must agree.
    pub total: Decimal,
}

pub fn parse(
    body: &[u8],
    r: &Refundable,
    registered: bool,
    reasons: &Reasons,
) -> Result<RefundInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let digits = r.currency.minor_digits();
    let mode = collect(
        f.choice("mode", &[("partial", ""), ("full", "")], Some("partial")),
        &mut e,
    );
    let reason = reasons.collect(&f, &mut e);
    let note = collect(f.note(), &mut e).unwrap_or_default();
    let destination = match collect(
        f.choice(
            "destination",
            &[("original", ""), ("store_credit", "")],
            Some("original"),
        ),
        &mut e,
    )
    .as_deref()
    {
        Some("store_credit") if !registered => {
            e.push(err(
                "destination",
                "Store credit needs a customer account; this shopper checked out as a guest",
            ));
            Destination::Original
        }
        Some("store_credit") => Destination::StoreCredit,
        _ => Destination::Original,
    };

    let (items, shipping, amount) = if mode.as_deref() == Some("full") {
        full_refund(r)
    } else {
        partial_refund(&f, r, digits, &mut e)
    };
    let total = items
        .iter()
        .filter_map(|(id, q)| {
            r.item(*id)
                .map(|i| i.unit_price.checked_mul(Decimal::from(*q)))
        })
        .try_fold(shipping.checked_add(amount), |acc, x| match (acc, x) {
            (Some(a), Some(x)) => Some(a.checked_add(x)),
            _ => Some(None),
        })
        .flatten();
    let Some(total) = total else {
        e.push(coded(
            "amount",
            "too_large",
            "That adds up to more than can be refunded",
        ));
        return Err(e);
    };
    if e.is_empty() {
        if total <= Decimal::ZERO {
            e.push(coded(
                "amount",
                "required",
                "Choose at least one item, shipping or an amount to refund",
            ));
        } else if total > r.total_left {
            e.push(coded(
                "amount",
                "too_large",
                format!(
                    "That adds up to {}, but only {} remains refundable",
                    r.money(total),
                    r.money(r.total_left)
                ),
            ));
        }
    }
    match reason {
        Some(reason) if e.is_empty() => Ok(RefundInput {
            items,
            shipping,
            amount,
            reason,
            destination,
            note,
            total,
        }),
        _ => Err(e),
    }
}

/// Everything that remains: all items and shipping, or, where order-level discounts make the
/// item prices add up to more than was paid, what remains as one amount.
fn full_refund(r: &Refundable) -> (Vec<(u64, u64)>, Decimal, Decimal) {
    let items: Vec<(u64, u64)> = r
        .items
        .iter()
        .filter(|i| i.quantity_left > 0)
        .map(|i| (i.id, i.quantity_left))
        .collect();
    let shipping = if r.shipping_item_id.is_some() {
        r.shipping_left
    } else {
        Decimal::ZERO
    };
    let by_items: Decimal = r
        .items
        .iter()
        .map(|i| i.unit_price * Decimal::from(i.quantity_left))
        .sum::<Decimal>()
        + shipping;
    if by_items == r.total_left {
        (items, shipping, Decimal::ZERO)
    } else {
        (Vec::new(), Decimal::ZERO, r.total_left)
    }
}

fn partial_refund(
    f: &Fields,
    r: &Refundable,
    digits: u32,
    e: &mut Vec<FieldError>,
) -> (Vec<(u64, u64)>, Decimal, Decimal) {
    let mut items: Vec<(u64, u64)> = Vec::new();
    for (key, _) in f.0.iter().filter(|(k, _)| k.starts_with("qty_")) {
        match key[4..].parse::<u64>().ok().and_then(|id| r.item(id)) {
            None => e.push(coded(key, "not_on_order", "This item is not on the order")),
            Some(item) => {
                if let Some(q) = collect(f.whole(key, item.quantity_left), e).filter(|q| *q > 0) {
                    items.push((item.id, q));
                }
            }
        }
    }
    // Plain JSON callers may send `items: [{"id": 1001, "quantity": 1}]`.
    if let Some(list) = f.0.get("items") {
        match list.as_array() {
            None => e.push(err("items", "items must be a list of {id, quantity}")),
            Some(list) => {
                for it in list {
                    let id = it["id"]
                        .as_u64()
                        .or_else(|| it["id"].as_str().and_then(|s| s.parse().ok()));
                    let q = it["quantity"]
                        .as_u64()
                        .or_else(|| it["quantity"].as_str().and_then(|s| s.trim().parse().ok()));
                    match (id.and_then(|id| r.item(id)), q) {
                        (None, _) => e.push(coded(
                            "items",
                            "not_on_order",
                            format!("Item {} is not on the order", it["id"]),
                        )),
                        (Some(_), None) => {
                            e.push(err("items", "Each item needs a whole-number quantity"))
                        }
                        (Some(item), Some(q)) if q > 0 => items.push((item.id, q)),
                        _ => {}
                    }
                }
            }
        }
    }
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (id, q) in items {
        match merged.iter_mut().find(|(i, _)| *i == id) {
            // Absurd quantities saturate, and then fail the quantity-left check below.
            Some(m) => m.1 = m.1.saturating_add(q),
            None => merged.push((id, q)),
        }
    }
    for (id, q) in &merged {
        if let Some(item) = r.item(*id).filter(|i| *q > i.quantity_left) {
            e.push(coded(
                &format!("qty_{id}"),
                "too_large",
                format!(
                    "At most {} of {} can be refunded",
                    item.quantity_left, item.name
                ),
            ));
        }
    }
    let shipping = collect(
        f.amount(
            "shipping",
            r.shipping_left,
            digits,
            &r.money(r.shipping_left),
        ),
        e,
    )
    .unwrap_or_default();
    if shipping > Decimal::ZERO && r.shipping_item_id.is_none() {
        e.push(err("shipping", "This order has no shipping to refund"));
    }
    let amount = collect(
        f.amount("amount", r.total_left, digits, &r.money(r.total_left)),
        e,
    )
    .unwrap_or_default();
    (merged, shipping, amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::refund::policy::RefundableItem;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    fn refundable() -> Refundable {
        Refundable {
            currency: Currency::usd(),
            items: vec![
                RefundableItem {
                    id: 1001,
                    name: "Mug".into(),
                    quantity_left: 2,
                    unit_price: dec!(14),
                },
                RefundableItem {
                    id: 1002,
                    name: "Tea".into(),
                    quantity_left: 1,
                    unit_price: dec!(19.99),
                },
            ],
            shipping_item_id: Some(1011),
            shipping_left: dec!(7.95),
            total_left: dec!(55.94),
        }
    }

    fn attrs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.attr).collect()
    }

    /// With the refund's own reasons (no merchant list).
    fn parse(
        body: &[u8],
        r: &Refundable,
        registered: bool,
    ) -> Result<RefundInput, Vec<FieldError>> {
        super::parse(
            body,
            r,
            registered,
            &reasons(&crate::guardrails::Guardrails::default()),
        )
    }

    #[test]
    fn partial_refund_from_form_fields() {
        let r = parse(br#"{"mode":"partial","qty_1001":"1","qty_1002":"0","shipping":"2.50","amount":"","reason":"damaged"}"#, &refundable(), true).unwrap();
        assert_eq!(r.items, vec![(1001, 1)]);
        assert_eq!(
            (r.shipping, r.amount, r.total),
            (dec!(2.50), dec!(0), dec!(16.50))
        );
        assert_eq!(r.destination, Destination::Original);
    }

    #[test]
    fn plain_json_items_and_store_credit() {
        let r = parse(br#"{"items":[{"id":1002,"quantity":1}],"reason":"goodwill","destination":"store_credit"}"#, &refundable(), true).unwrap();
        assert_eq!(
            (r.items.clone(), r.total, r.destination),
            (vec![(1002, 1)], dec!(19.99), Destination::StoreCredit)
        );
    }

    #[test]
    fn full_refund_takes_everything_left() {
        let r = parse(br#"{"mode":"full","reason":"other"}"#, &refundable(), false).unwrap();
        assert_eq!(r.items, vec![(1001, 2), (1002, 1)]);
        assert_eq!((r.shipping, r.total), (dec!(7.95), dec!(55.94)));
        let mut discounted = refundable();
        discounted.total_left = dec!(50.24);
        let r = parse(br#"{"mode":"full","reason":"other"}"#, &discounted, false).unwrap();
        assert!(r.items.is_empty());
        assert_eq!((r.amount, r.total), (dec!(50.24), dec!(50.24)));
    }

    #[test]
    fn every_refund_mistake_names_its_field() {
        let r = refundable();
        let cases: [(&[u8], &str); 12] = [
            (br#"{"qty_1001":"3","reason":"damaged"}"#, "qty_1001"),
            (br#"{"qty_1001":"1.5","reason":"damaged"}"#, "qty_1001"),
            (br#"{"qty_1001":"-1","reason":"damaged"}"#, "qty_1001"),
            (br#"{"qty_9999":"1","reason":"damaged"}"#, "qty_9999"),
            (br#"{"shipping":"8.00","reason":"damaged"}"#, "shipping"),
            (br#"{"amount":"0.001","reason":"damaged"}"#, "amount"),
            (br#"{"amount":"-5","reason":"damaged"}"#, "amount"),
            (br#"{"amount":"lots","reason":"damaged"}"#, "amount"),
            (br#"{"reason":"damaged"}"#, "amount"),
            (br#"{"qty_1001":"1"}"#, "reason"),
            (br#"{"qty_1001":"1","reason":"because"}"#, "reason"),
            (
                br#"{"qty_1001":"2","amount":"40","reason":"damaged"}"#,
                "amount",
            ),
        ];
        for (body, attr) in cases {
            let e = parse(body, &r, true).unwrap_err();
            assert!(
                attrs(e.clone()).contains(&attr.to_string()),
                "{}: {e:?}",
                String::from_utf8_lossy(body)
            );
        }
        let e = parse(
            br#"{"qty_1001":"1","reason":"damaged","destination":"store_credit"}"#,
            &r,
            false,
        )
        .unwrap_err();
        assert_eq!(attrs(e), vec!["destination"]);
        assert_eq!(attrs(parse(b"[1]", &r, true).unwrap_err()), vec!["body"]);
    }

    #[test]
    fn amounts_typed_anywhere_are_read_as_meant_or_refused() {
        let r = refundable();
        for (typed, want) in [
            ("12,50", dec!(12.50)),
            ("12.50", dec!(12.50)),
            ("€ 5,5", dec!(5.5)),
        ] {
            let body = serde_json::json!({"amount": typed, "reason": "damaged"}).to_string();
            assert_eq!(
                parse(body.as_bytes(), &r, true).map(|x| x.amount),
                Ok(want),
                "{typed}"
            );
        }
        let body = br#"{"amount":"1,234","reason":"damaged"}"#;
        let e = parse(body, &r, true).unwrap_err();
        assert_eq!(
            (e[0].attr.as_str(), e[0].code.as_str()),
            ("amount", "ambiguous")
        );
        assert!(e[0].detail.contains("12.50"), "{e:?}");
        let e = parse(br#"{"amount":"1.234,56","reason":"damaged"}"#, &r, true).unwrap_err();
        assert_eq!(
            e[0].code, "too_large",
            "1234.56 is read as such, and is too much"
        );
    }

    #[test]
    fn absurd_quantities_fail_without_overflow() {
        let body = format!(
            r#"{{"items":[{{"id":1001,"quantity":{m}}},{{"id":1001,"quantity":{m}}}],"reason":"damaged"}}"#,
            m = u64::MAX
        );
        let e = parse(body.as_bytes(), &refundable(), true).unwrap_err();
        assert!(e.iter().any(|e| e.code == "too_large"), "{e:?}");
    }
}
