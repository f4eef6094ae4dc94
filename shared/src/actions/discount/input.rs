//! The discount form's submitted attributes.

use crate::actions::amount::parse_amount;
use crate::actions::fields::{collect, err, FieldError, Fields};
use rust_decimal::Decimal;

pub const DISCOUNT_TYPES: &[(&str, &str)] = &[
    ("percent", "Percent off"),
    ("fixed", "Amount off"),
    ("free_shipping", "Free shipping"),
];

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

pub fn parse(body: &[u8]) -> Result<DiscountInput, Vec<FieldError>> {
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
    use rust_decimal_macros::dec;

    fn attrs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.attr).collect()
    }

    #[test]
    fn discounts_are_checked() {
        assert_eq!(
            parse(br#"{"type":"percent","value":"10","days":"30","uses":"1"}"#)
                .unwrap()
                .kind,
            DiscountKind::Percent(dec!(10))
        );
        assert_eq!(
            parse(br#"{"type":"free_shipping"}"#).unwrap().kind,
            DiscountKind::FreeShipping
        );
        assert_eq!(
            parse(br#"{"type":"fixed","value":"12.50","min_purchase":"50"}"#)
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
                attrs(parse(body).unwrap_err()).contains(&attr.to_string()),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
