//! Deserializers for what real stores send: nulls where the spec promises values, numbers as
//! strings and strings as numbers, RFC 2822 dates, money as strings or numbers.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::str::FromStr;

/// `null` (or absent, with `#[serde(default)]`) becomes the type's default.
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A string, number or bool as text; null as "".
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    })
}

/// A whole number sent as a number or a numeric string; anything else is 0.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .unwrap_or(0),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| *f >= 0.0)
            .map(|f| f as u64)
            .unwrap_or(0),
        _ => 0,
    })
}

/// A list of ids; null, junk and non-numeric entries are left out.
pub fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.iter().filter_map(Value::as_u64).collect(),
        _ => Vec::new(),
    })
}

/// Money as `"69.8400"` or `69.84`, parsed exactly (never through a float); null or junk is 0.
pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Ok(parse_money(&Value::deserialize(d)?).unwrap_or_default())
}

pub fn parse_money(v: &Value) -> Option<Decimal> {
    match v {
        // serde_json prints the shortest representation that round-trips, so 43.15 stays 43.15.
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// v2's RFC 2822 dates, v3's RFC 3339 dates; `""` or junk is `None`.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => parse_date(&s),
        _ => None,
    })
}

pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc2822(s)
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .map(|d| d.with_timezone(&Utc))
        .ok()
}

/// Ids as their newtypes, read as tolerantly as counts.
pub fn customer_id<'de, D: Deserializer<'de>>(d: D) -> Result<crate::ids::CustomerId, D::Error> {
    count(d).map(crate::ids::CustomerId)
}

/// An order's customer: BigCommerce writes 0 for a guest, which is no customer at all.
pub fn order_customer<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::ids::CustomerId>, D::Error> {
    count(d).map(|n| (n > 0).then_some(crate::ids::CustomerId(n)))
}

pub fn order_id<'de, D: Deserializer<'de>>(d: D) -> Result<crate::ids::OrderId, D::Error> {
    count(d).map(crate::ids::OrderId)
}

pub fn product_id<'de, D: Deserializer<'de>>(d: D) -> Result<crate::ids::ProductId, D::Error> {
    count(d).map(crate::ids::ProductId)
}

pub fn promotion_id<'de, D: Deserializer<'de>>(d: D) -> Result<crate::ids::PromotionId, D::Error> {
    count(d).map(crate::ids::PromotionId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_is_exact_from_strings_and_numbers() {
        assert_eq!(
            parse_money(&json!("69.8400")),
            Decimal::from_str("69.84").ok()
        );
        assert_eq!(parse_money(&json!(43.15)), Decimal::from_str("43.15").ok());
        assert_eq!(
            parse_money(&json!(0.1)).map(|d| d + d + d),
            Decimal::from_str("0.3").ok()
        );
        assert_eq!(parse_money(&json!(null)), None);
        assert_eq!(parse_money(&json!("lots")), None);
    }

    #[test]
    fn dates_in_both_formats() {
        let d = parse_date("Tue, 05 Mar 2019 21:40:11 +0000").map(|d| d.to_rfc3339());
        assert_eq!(d.as_deref(), Some("2019-03-05T21:40:11+00:00"));
        assert!(parse_date("2019-03-05T21:40:11Z").is_some());
        assert!(parse_date("").is_none());
        assert!(parse_date("yesterday").is_none());
    }
}
