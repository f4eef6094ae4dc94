//! Money in every currency: ISO 4217's minor units decide how amounts are shown, rounded and
//! accepted, and a refund one minor unit over what is left is refused.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use shared::actions::refund::input::{parse as refund, reasons};
use shared::actions::refund::policy::{Refundable, RefundableItem};
use shared::guardrails::Guardrails;
use shared::money::{Currency, Money};

fn cur(code: &str) -> Currency {
    Currency::new(code).unwrap_or_else(|| panic!("{code} is a currency code"))
}

/// ISO 4217 (amendment 178): every active currency whose minor unit is not 2.
const ZERO_DIGITS: [&str; 17] = [
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DIGITS: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const FOUR_DIGITS: [&str; 2] = ["CLF", "UYW"];
const TWO_DIGITS: [&str; 16] = [
    "USD", "EUR", "GBP", "AUD", "CAD", "INR", "CHF", "CNY", "SEK", "NOK", "DKK", "BRL", "MXN",
    "ZAR", "AED", "SGD",
];

#[test]
fn minor_units_follow_iso_4217() {
    for (codes, digits) in [
        (&ZERO_DIGITS[..], 0),
        (&THREE_DIGITS[..], 3),
        (&FOUR_DIGITS[..], 4),
        (&TWO_DIGITS[..], 2),
    ] {
        for code in codes {
            let c = cur(code);
            assert!(c.is_iso(), "{code} is in ISO 4217");
            assert_eq!(c.minor_digits(), digits, "{code}");
            assert_eq!(c.minor_unit(), Decimal::new(1, digits), "{code}");
        }
    }
    // Not in the standard: shown with 2 decimals, as BigCommerce's admin does.
    assert!(!cur("ABC").is_iso());
    assert_eq!(cur("ABC").minor_digits(), 2);
}

#[test]
fn amounts_are_shown_in_whole_minor_units() {
    let shown = |a: Decimal, code: &str| Money::new(a, cur(code)).to_string();
    assert_eq!(shown(dec!(1200.4), "JPY"), "¥1200");
    assert_eq!(shown(dec!(1200.5), "JPY"), "¥1201", "half away from zero");
    assert_eq!(shown(dec!(15000), "KRW"), "₩15000");
    assert_eq!(shown(dec!(15000.49), "VND"), "VND 15000");
    assert_eq!(shown(dec!(990), "CLP"), "CLP 990");
    assert_eq!(shown(dec!(1.25), "KWD"), "KWD 1.250");
    assert_eq!(
        shown(dec!(1.2345), "BHD"),
        "BHD 1.235",
        "half away from zero"
    );
    assert_eq!(shown(dec!(1.2344), "OMR"), "OMR 1.234");
    assert_eq!(shown(dec!(-0.0005), "TND"), "-TND 0.001");
    assert_eq!(shown(dec!(12.5), "EUR"), "€12.50");
    assert_eq!(shown(dec!(12.345), "GBP"), "£12.35");
    assert_eq!(shown(dec!(54.95), "AUD"), "A$54.95");
    assert_eq!(shown(dec!(1149), "INR"), "₹1149.00");
    for code in ZERO_DIGITS {
        let s = shown(dec!(1234.5), code);
        assert!(s.ends_with("1235") && !s.contains('.'), "{code}: {s}");
    }
    for code in THREE_DIGITS {
        let s = shown(dec!(1.0005), code);
        assert!(s.ends_with("1.001"), "{code}: {s}");
    }
}

fn refundable(code: &str, price: Decimal, total: Decimal) -> Refundable {
    Refundable {
        currency: cur(code),
        items: vec![RefundableItem {
            id: 1,
            name: "Mug".into(),
            quantity_left: 1,
            unit_price: price,
        }],
        shipping_item_id: None,
        shipping_left: Decimal::ZERO,
        total_left: total,
    }
}

fn amount_refund(r: &Refundable, amount: &str) -> Result<Decimal, Vec<String>> {
    let body = format!(r#"{{"mode":"partial","amount":"{amount}","reason":"goodwill"}}"#);
    refund(body.as_bytes(), r, true, &reasons(&Guardrails::default()))
        .map(|i| i.total)
        .map_err(|e| {
            e.into_iter()
                .map(|f| format!("{}: {}", f.attr, f.detail))
                .collect()
        })
}

#[test]
fn refunds_accept_exactly_the_currency_decimals_and_no_minor_unit_more() {
    for code in ZERO_DIGITS {
        let r = refundable(code, dec!(4500), dec!(4500));
        assert_eq!(amount_refund(&r, "4500"), Ok(dec!(4500)), "{code}");
        assert!(amount_refund(&r, "4501").is_err(), "{code}: one unit over");
        assert!(amount_refund(&r, "12.5").is_err(), "{code}: no decimals");
    }
    for code in THREE_DIGITS {
        let r = refundable(code, dec!(8.25), dec!(9.750));
        assert_eq!(amount_refund(&r, "9.750"), Ok(dec!(9.750)), "{code}");
        assert_eq!(amount_refund(&r, "0.125"), Ok(dec!(0.125)), "{code}");
        let over = amount_refund(&r, "9.751");
        assert!(over.is_err(), "{code}: one fils over: {over:?}");
        assert!(
            amount_refund(&r, "0.1255").is_err(),
            "{code}: a fourth decimal"
        );
    }
    for code in ["USD", "EUR", "GBP", "INR", "AUD"] {
        let r = refundable(code, dec!(20), dec!(24.95));
        assert_eq!(amount_refund(&r, "24.95"), Ok(dec!(24.95)), "{code}");
        assert!(amount_refund(&r, "24.96").is_err(), "{code}: one cent over");
        assert!(
            amount_refund(&r, "1.005").is_err(),
            "{code}: a third decimal"
        );
    }
}
