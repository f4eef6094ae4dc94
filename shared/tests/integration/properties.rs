//! Hostile input, property-tested: whatever arrives (a lookup body, an action form's fields, an
//! amount or quantity an agent typed, a BigCommerce answer), the parsers answer Ok or a worded
//! error and never panic. (The Gladly-Authorization parser is property-tested beside it, in
//! `auth::signature`; the edge's query strings in `hardening.rs` and below.)

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use shared::actions::amount::parse_amount;
use shared::actions::reasons::{MerchantReasons, Reasons};
use shared::actions::refund::policy::{Refundable, RefundableItem};
use shared::actions::{address, cancel, discount, gift_certificate, refund};
use shared::bigcommerce::models::{Customer, Order, Promotion, Refund, Shipment};
use shared::gladly::LookupRequest;
use shared::guardrails::Guardrails;
use shared::money::Currency;

/// The refund's and the cancel's own reasons, and a merchant's list.
fn own() -> Reasons {
    refund::input::reasons(&Guardrails::default())
}
fn own_cancel() -> Reasons {
    cancel::input::reasons(&Guardrails::default())
}
fn merchants() -> Reasons {
    let listed = MerchantReasons::parse("Late, Broken in transit, Goodwill");
    Reasons::of(listed.ok().as_ref(), &[])
}

/// Any JSON value, a few levels deep, with the awkward leaves: huge and negative numbers,
/// floats, unicode, empty strings.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,24}".prop_map(Value::String),
        "[0-9.,-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,14}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON object with some of `keys` set to anything.
fn object_with(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(keys), any_json()), 0..keys.len() + 2).prop_map(
        |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
    )
}

fn refundable() -> Refundable {
    Refundable {
        currency: Currency::usd(),
        items: vec![RefundableItem {
            id: 1001,
            name: "Mug".into(),
            quantity_left: 2,
            unit_price: Decimal::new(1400, 2),
        }],
        shipping_item_id: Some(1011),
        shipping_left: Decimal::new(795, 2),
        total_left: Decimal::new(3595, 2),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn lookup_bodies_of_any_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = LookupRequest::parse(&body);
    }

    #[test]
    fn lookup_bodies_of_any_shape_never_panic(
        level in prop::sample::select(vec!["BASIC", "DETAILED", "basic", "FULL", ""]),
        query in object_with(&["emails", "email", "phones", "phone", "name", "orderNumber", "externalCustomerId", "id", "customAttributes"]),
        unique in any_json(),
    ) {
        let body = json!({"lookupLevel": level, "query": query, "uniqueMatchRequired": unique});
        if let Ok(r) = LookupRequest::parse(body.to_string().as_bytes()) {
            // What is parsed is what was asked for: never another level.
            prop_assert!(level.eq_ignore_ascii_case("BASIC") || level.eq_ignore_ascii_case("DETAILED"));
            prop_assert_eq!(r.level == shared::gladly::LookupLevel::Basic, level.eq_ignore_ascii_case("BASIC"));
        }
    }

    #[test]
    fn amounts_never_panic_and_keep_to_the_currency_decimals(text in "\\PC{0,30}", digits in 0u32..4) {
        if let Ok(a) = parse_amount(&text, digits) {
            prop_assert!(a.normalize().scale() <= digits, "{} read as {}", text, a);
        }
    }

    #[test]
    fn amount_like_text_never_panics(text in "[-+ 0-9.,'\u{a0}$€£]{0,40}", digits in 0u32..4) {
        let _ = parse_amount(&text, digits);
    }

    #[test]
    fn refund_forms_of_any_shape_never_panic(
        fields in object_with(&["mode", "qty_1001", "qty_9", "shipping", "amount", "reason", "note", "destination", "notify", "items"]),
    ) {
        let body = fields.to_string();
        if let Ok(r) = refund::input::parse(body.as_bytes(), &refundable(), true, &own()) {
            // Never more than what is left.
            prop_assert!(r.total <= refundable().total_left, "{}", body);
            prop_assert!(r.items.iter().all(|(id, q)| *id == 1001 && *q <= 2), "{}", body);
        }
    }

    #[test]
    fn quantities_of_any_text_never_panic(q in "\\PC{0,20}|[0-9]{1,30}|-[0-9]{1,5}") {
        let body = json!({"mode": "partial", "qty_1001": q, "reason": "damaged"}).to_string();
        if let Ok(r) = refund::input::parse(body.as_bytes(), &refundable(), true, &own()) {
            prop_assert!(r.items.iter().all(|(_, n)| *n <= 2));
        }
    }

    #[test]
    fn cancel_and_discount_forms_never_panic(
        fields in object_with(&["reason", "note", "notify", "type", "value", "expires_days", "refund"]),
        bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let body = fields.to_string();
        let _ = cancel::input::parse(body.as_bytes(), &own_cancel());
        let _ = cancel::input::parse(body.as_bytes(), &merchants());
        let _ = discount::input::parse(body.as_bytes());
        let _ = address::input::parse(body.as_bytes());
        let _ = gift_certificate::input::parse(body.as_bytes(), None);
        let _ = gift_certificate::input::parse(body.as_bytes(), Some(&merchants()));
        let _ = cancel::input::parse(&bytes, &merchants());
        let _ = discount::input::parse(&bytes);
        let _ = address::input::parse(&bytes);
        let _ = gift_certificate::input::parse(&bytes, Some(&merchants()));
    }

    #[test]
    fn bigcommerce_answers_of_any_shape_decode_or_fail_without_panic(
        order in object_with(&["id", "customer_id", "status", "status_id", "total_inc_tax", "currency_code", "date_created", "billing_address", "consignments", "products", "payment_status", "refunded_amount"]),
        other in any_json(),
    ) {
        let _ = serde_json::from_value::<Order>(order.clone());
        let _ = serde_json::from_value::<Vec<Order>>(json!([order, other.clone()]));
        let _ = serde_json::from_value::<Customer>(other.clone());
        let _ = serde_json::from_value::<Refund>(other.clone());
        let _ = serde_json::from_value::<Shipment>(other.clone());
        let _ = serde_json::from_value::<Promotion>(other.clone());
        let _ = shared::bigcommerce::de::parse_money(&other);
        let _ = shared::bigcommerce::client::error_message(&other);
    }

    #[test]
    fn decoded_orders_map_to_cards_without_panic(order in object_with(&["id", "customer_id", "status", "status_id", "total_inc_tax", "subtotal_inc_tax", "currency_code", "date_created", "consignments", "items_total", "discount_amount"])) {
        if let Ok(o) = serde_json::from_value::<Order>(order) {
            let _ = shared::actions::cancel::policy::cancel_plan(&o);
            let _ = shared::actions::refund::policy::refund_allowed(&o);
            let _ = Refundable::of(&o, &[]);
            let _ = shared::actions::address::policy::address_change_allowed(&o);
        }
    }

    #[test]
    fn query_strings_of_any_text_never_take_the_edge_down(raw in "\\PC{0,60}|[\" <>{}|\\\\^`#%]{0,20}") {
        let escaped = shared::edge::escape_uri_part(&raw);
        let uri = format!("https://adaptor.example.com/lookup?{escaped}");
        prop_assert!(uri.parse::<http::Uri>().is_ok(), "{}", uri);
    }
}
