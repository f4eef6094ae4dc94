//! BigCommerce's wire formats: v2 speaks RFC 2822 dates and 4-decimal money strings, v3 ISO
//! dates and JSON numbers.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::Value;

/// `"69.8400"`
pub fn money_v2(d: Decimal) -> String {
    format!("{:.4}", d.round_dp(4))
}

/// A JSON number, as v3 answers money (2 decimals).
pub fn money_v3(d: Decimal) -> Value {
    money_v3_in(d, "USD")
}

/// Minor-unit digits of a currency, from ISO 4217 (2 when unknown).
pub fn minor_digits(code: &str) -> u32 {
    iso_currency::Currency::from_code(code)
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// A JSON number in `code`'s minor units: `12.375` KWD, `4500` JPY.
pub fn money_v3_in(d: Decimal, code: &str) -> Value {
    d.round_dp(minor_digits(code))
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// `"Tue, 05 Mar 2019 21:40:11 +0000"`
pub fn date_v2(d: DateTime<Utc>) -> String {
    d.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// `"2019-03-05T21:40:11Z"`
pub fn date_v3(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_match_bigcommerce() {
        let d = Utc
            .with_ymd_and_hms(2019, 3, 5, 21, 40, 11)
            .single()
            .unwrap();
        assert_eq!(date_v2(d), "Tue, 05 Mar 2019 21:40:11 +0000");
        assert_eq!(date_v3(d), "2019-03-05T21:40:11Z");
        assert_eq!(money_v2(Decimal::new(6984, 2)), "69.8400");
        assert_eq!(money_v3(Decimal::new(6984, 2)), serde_json::json!(69.84));
    }
}
