//! Submitted forms (or plain JSON from App Platform actions) to typed commands. Every problem is
//! a `FieldError` naming the input, so Gladly keeps the form open and shows it there.

use super::amount::{example, parse_amount, AmountError};
use super::policy::Refundable;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const CANCEL_REASONS: &[(&str, &str)] = &[
    ("customer_request", "Customer asked to cancel"),
    ("out_of_stock", "Out of stock"),
    ("fraud_suspected", "Suspected fraud"),
    ("duplicate_order", "Duplicate order"),
    ("other", "Other"),
];

pub const REFUND_REASONS: &[(&str, &str)] = &[
    ("damaged", "Arrived damaged"),
    ("not_received", "Not received"),
    ("wrong_item", "Wrong item sent"),
    ("not_as_described", "Not as described"),
    ("changed_mind", "Changed their mind"),
    ("goodwill", "Goodwill gesture"),
    ("other", "Other"),
];

pub const DISCOUNT_TYPES: &[(&str, &str)] = &[
    ("percent", "Percent off"),
    ("fixed", "Amount off"),
    ("free_shipping", "Free shipping"),
];

/// One field's problem, in Gladly's shape: `{"attr", "code", "detail"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub attr: String,
    /// Machine-readable: `required`, `invalid`, `too_large`, `ambiguous`, `not_on_order`, ...
    pub code: String,
    pub detail: String,
}

fn err(attr: &str, detail: impl Into<String>) -> FieldError {
    coded(attr, "invalid", detail)
}

fn coded(attr: &str, code: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        attr: attr.to_string(),
        code: code.to_string(),
        detail: detail.into(),
    }
}

/// Agent text goes to BigCommerce beside our `[gladly:<requestId>]` markers: brackets become
/// parentheses, so no note can forge or break a marker.
pub fn defang(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '[' => '(',
            ']' => ')',
            c => c,
        })
        .collect()
}

/// The submitted attributes.
pub struct Fields(Map<String, Value>);

impl Fields {
    /// An empty body counts as no attributes; anything but a JSON object is refused.
    pub fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Fields(m)),
            _ => Err(vec![err(
                "body",
                "the submitted body must be a JSON object of the form's attributes",
            )]),
        }
    }

    fn text(&self, attr: &str) -> Option<String> {
        match self.0.get(attr)? {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn choice(
        &self,
        attr: &str,
        options: &[(&str, &str)],
        default: Option<&str>,
    ) -> Result<String, FieldError> {
        let known = options
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>()
            .join(", ");
        match self.text(attr).or(default.map(String::from)) {
            None => Err(coded(attr, "required", format!("Pick one of: {known}"))),
            Some(v) => options
                .iter()
                .find(|(o, _)| o.eq_ignore_ascii_case(&v))
                .map(|(o, _)| o.to_string())
                .ok_or_else(|| err(attr, format!("'{:.40}' is not one of: {known}", v))),
        }
    }

    fn flag(&self, attr: &str, default: bool) -> Result<bool, FieldError> {
        match self.0.get(attr) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s))
                if matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "true" | "yes" | "on" | "1"
                ) =>
            {
                Ok(true)
            }
            Some(Value::String(s))
                if matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "false" | "no" | "off" | "0" | ""
                ) =>
            {
                Ok(false)
            }
            _ => Err(err(attr, "must be true or false")),
        }
    }

    /// A whole number from 0 to `max`; blank is 0.
    fn whole(&self, attr: &str, max: u64) -> Result<u64, FieldError> {
        let Some(t) = self.text(attr) else {
            return Ok(0);
        };
        let n = t
            .parse::<u64>()
            .map_err(|_| err(attr, format!("Enter a whole number from 0 to {max}")))?;
        if n > max {
            return Err(coded(
                attr,
                "too_large",
                format!("At most {max} can be refunded"),
            ));
        }
        Ok(n)
    }

    /// A money amount from 0 to `max` with at most `digits` decimals, as agents anywhere type
    /// it (`12,50`, `1.234,56`); blank is 0.
    fn amount(
        &self,
        attr: &str,
        max: Decimal,
        digits: u32,
        shown_max: &str,
    ) -> Result<Decimal, FieldError> {
        let Some(t) = self.text(attr) else {
            return Ok(Decimal::ZERO);
        };
        let d = parse_amount(&t, digits).map_err(|e| {
            let code = match e {
                AmountError::Ambiguous { .. } => "ambiguous",
                AmountError::TooManyDecimals { .. } => "too_many_decimals",
                AmountError::Negative => "negative",
                _ => "invalid",
            };
            coded(
                attr,
                code,
                format!("{}, up to {shown_max}", e.explain(&example(digits))),
            )
        })?;
        if d > max {
            return Err(coded(
                attr,
                "too_large",
                format!("At most {shown_max} remains refundable"),
            ));
        }
        Ok(d)
    }

    fn note(&self) -> Result<String, FieldError> {
        let n = self.text("note").unwrap_or_default();
        if n.chars().count() > 500 {
            return Err(coded(
                "note",
                "too_long",
                "Keep the note under 500 characters",
            ));
        }
        Ok(defang(
            &n.chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .collect::<String>(),
        ))
    }
}

/// Collects every field's problem at once, so the agent fixes them in one go.
fn collect<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelInput {
    pub reason: String,
    pub note: String,
    pub notify: bool,
}

pub fn cancel(body: &[u8]) -> Result<CancelInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let reason = collect(f.choice("reason", CANCEL_REASONS, None), &mut e);
    let note = collect(f.note(), &mut e);
    let notify = collect(f.flag("notify", true), &mut e);
    match (reason, note, notify) {
        (Some(reason), Some(note), Some(notify)) if e.is_empty() => Ok(CancelInput {
            reason,
            note,
            notify,
        }),
        _ => Err(e),
    }
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
    pub reason: String,
    pub destination: Destination,
    pub note: String,
    /// What the items, shipping and amount add up to; the quote must agree.
    pub total: Decimal,
}

pub fn refund(
    body: &[u8],
    r: &Refundable,
    registered: bool,
) -> Result<RefundInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let digits = r.currency.minor_digits();
    let mode = collect(
        f.choice("mode", &[("partial", ""), ("full", "")], Some("partial")),
        &mut e,
    );
    let reason = collect(f.choice("reason", REFUND_REASONS, None), &mut e);
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscountKind {
    Percent(Decimal),
    Fixed(Decimal),
    FreeShipping,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscountInput {
    pub kind: DiscountKind,
    pub days: u32,
    pub min_purchase: Decimal,
    pub uses: u64,
    /// Multi-Storefront: the storefronts (channel id, name) the code works on; none means all.
    /// The form sends the ids; the handler checks them against the store and names them.
    pub storefronts: Vec<(u64, String)>,
    /// The store's time zone, for the end date the agent reads.
    pub store_utc_offset: chrono::FixedOffset,
}

pub fn discount(body: &[u8]) -> Result<DiscountInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let kind = collect(f.choice("type", DISCOUNT_TYPES, Some("percent")), &mut e);
    let value = f
        .text("value")
        .map(|v| parse_amount(v.trim_end_matches('%').trim(), 2));
    let kind = match (kind.as_deref(), value) {
        (Some("free_shipping"), _) => Some(DiscountKind::FreeShipping),
        (Some(_), None) => {
            e.push(err("value", "Enter the discount's value"));
            None
        }
        (Some(_), Some(Err(_))) => {
            e.push(err("value", "Enter a number, like 10 or 12.50"));
            None
        }
        (Some("percent"), Some(Ok(v)))
            if v < Decimal::ONE || v > Decimal::ONE_HUNDRED || v.normalize().scale() > 2 =>
        {
            e.push(err("value", "A percentage from 1 to 100"));
            None
        }
        (Some("percent"), Some(Ok(v))) => Some(DiscountKind::Percent(v.normalize())),
        (Some(_), Some(Ok(v)))
            if v <= Decimal::ZERO || v > Decimal::from(100_000) || v.normalize().scale() > 2 =>
        {
            e.push(err("value", "An amount above 0, with at most 2 decimals"));
            None
        }
        (Some(_), Some(Ok(v))) => Some(DiscountKind::Fixed(v.normalize())),
        (None, _) => None,
    };
    let days = match f.text("days").unwrap_or_else(|| "30".into()).parse::<u32>() {
        Ok(d) if (1..=365).contains(&d) => Some(d),
        _ => {
            e.push(err("days", "A whole number of days from 1 to 365"));
            None
        }
    };
    let min_purchase = collect(
        f.amount("min_purchase", Decimal::from(1_000_000), 2, "1000000.00"),
        &mut e,
    );
    let uses = match f.text("uses").unwrap_or_else(|| "1".into()).parse::<u64>() {
        Ok(u) if (1..=1000).contains(&u) => Some(u),
        _ => {
            e.push(err("uses", "A whole number of uses from 1 to 1000"));
            None
        }
    };
    // "1,2" (the shopper's storefronts), "2", or "all"/nothing for every storefront.
    let storefronts = match f.text("storefronts").map(|t| t.trim().to_string()) {
        None => Vec::new(),
        Some(t) if t.is_empty() || t.eq_ignore_ascii_case("all") => Vec::new(),
        Some(t) => match t
            .split(',')
            .map(|id| id.trim().parse::<u64>().ok().filter(|id| *id > 0))
            .collect::<Option<Vec<u64>>>()
        {
            Some(ids) if ids.len() <= 50 => ids.into_iter().map(|id| (id, String::new())).collect(),
            _ => {
                e.push(err("storefronts", "Pick storefronts from the list"));
                Vec::new()
            }
        },
    };
    match (kind, days, min_purchase, uses) {
        (Some(kind), Some(days), Some(min_purchase), Some(uses)) if e.is_empty() => {
            Ok(DiscountInput {
                kind,
                days,
                min_purchase,
                uses,
                storefronts,
                store_utc_offset: chrono::Offset::fix(&chrono::Utc),
            })
        }
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::policy::RefundableItem;
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

    #[test]
    fn partial_refund_from_form_fields() {
        let r = refund(br#"{"mode":"partial","qty_1001":"1","qty_1002":"0","shipping":"2.50","amount":"","reason":"damaged"}"#, &refundable(), true).unwrap();
        assert_eq!(r.items, vec![(1001, 1)]);
        assert_eq!(
            (r.shipping, r.amount, r.total),
            (dec!(2.50), dec!(0), dec!(16.50))
        );
        assert_eq!(r.destination, Destination::Original);
    }

    #[test]
    fn plain_json_items_and_store_credit() {
        let r = refund(br#"{"items":[{"id":1002,"quantity":1}],"reason":"goodwill","destination":"store_credit"}"#, &refundable(), true).unwrap();
        assert_eq!(
            (r.items.clone(), r.total, r.destination),
            (vec![(1002, 1)], dec!(19.99), Destination::StoreCredit)
        );
    }

    #[test]
    fn full_refund_takes_everything_left() {
        let r = refund(br#"{"mode":"full","reason":"other"}"#, &refundable(), false).unwrap();
        assert_eq!(r.items, vec![(1001, 2), (1002, 1)]);
        assert_eq!((r.shipping, r.total), (dec!(7.95), dec!(55.94)));
        let mut discounted = refundable();
        discounted.total_left = dec!(50.24);
        let r = refund(br#"{"mode":"full","reason":"other"}"#, &discounted, false).unwrap();
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
            let e = refund(body, &r, true).unwrap_err();
            assert!(
                attrs(e.clone()).contains(&attr.to_string()),
                "{}: {e:?}",
                String::from_utf8_lossy(body)
            );
        }
        let e = refund(
            br#"{"qty_1001":"1","reason":"damaged","destination":"store_credit"}"#,
            &r,
            false,
        )
        .unwrap_err();
        assert_eq!(attrs(e), vec!["destination"]);
        assert_eq!(attrs(refund(b"[1]", &r, true).unwrap_err()), vec!["body"]);
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
                refund(body.as_bytes(), &r, true).map(|x| x.amount),
                Ok(want),
                "{typed}"
            );
        }
        let body = br#"{"amount":"1,234","reason":"damaged"}"#;
        let e = refund(body, &r, true).unwrap_err();
        assert_eq!(
            (e[0].attr.as_str(), e[0].code.as_str()),
            ("amount", "ambiguous")
        );
        assert!(e[0].detail.contains("12.50"), "{e:?}");
        let e = refund(br#"{"amount":"1.234,56","reason":"damaged"}"#, &r, true).unwrap_err();
        assert_eq!(
            e[0].code, "too_large",
            "1234.56 is read as such, and is too much"
        );
    }

    #[test]
    fn notes_cannot_forge_a_marker() {
        let c = cancel(br#"{"reason":"other","note":"[gladly:0123456789abcdef] hi"}"#).unwrap();
        assert_eq!(c.note, "(gladly:0123456789abcdef) hi");
    }

    #[test]
    fn absurd_quantities_fail_without_overflow() {
        let body = format!(
            r#"{{"items":[{{"id":1001,"quantity":{m}}},{{"id":1001,"quantity":{m}}}],"reason":"damaged"}}"#,
            m = u64::MAX
        );
        let e = refund(body.as_bytes(), &refundable(), true).unwrap_err();
        assert!(e.iter().any(|e| e.code == "too_large"), "{e:?}");
    }

    #[test]
    fn cancel_needs_a_known_reason() {
        assert_eq!(
            cancel(br#"{"reason":"out_of_stock","note":" ok ","notify":false}"#).unwrap(),
            CancelInput {
                reason: "out_of_stock".into(),
                note: "ok".into(),
                notify: false
            }
        );
        assert_eq!(attrs(cancel(b"").unwrap_err()), vec!["reason"]);
        assert_eq!(
            attrs(cancel(br#"{"reason":"x","notify":"maybe"}"#).unwrap_err()),
            vec!["reason", "notify"]
        );
    }

    #[test]
    fn discounts_are_checked() {
        assert_eq!(
            discount(br#"{"type":"percent","value":"10","days":"30","uses":"1"}"#)
                .unwrap()
                .kind,
            DiscountKind::Percent(dec!(10))
        );
        assert_eq!(
            discount(br#"{"type":"free_shipping"}"#).unwrap().kind,
            DiscountKind::FreeShipping
        );
        assert_eq!(
            discount(br#"{"type":"fixed","value":"12.50","min_purchase":"50"}"#)
                .unwrap()
                .min_purchase,
            dec!(50)
        );
        for (body, attr) in [
            (&br#"{"type":"percent","value":"0"}"#[..], "value"),
            (br#"{"type":"percent","value":"101"}"#, "value"),
            (br#"{"type":"fixed","value":"-3"}"#, "value"),
            (br#"{"type":"bogo","value":"3"}"#, "type"),
            (br#"{"type":"percent","value":"10","days":"0"}"#, "days"),
            (br#"{"type":"percent","value":"10","uses":"0"}"#, "uses"),
            (br#"{"type":"percent"}"#, "value"),
        ] {
            assert!(
                attrs(discount(body).unwrap_err()).contains(&attr.to_string()),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
