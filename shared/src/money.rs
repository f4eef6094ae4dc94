//! Money is a decimal amount with its currency; never a float.

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// An ISO 4217 currency code, upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency(String);

impl Currency {
    pub fn new(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_uppercase();
        (code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())).then_some(Currency(code))
    }

    pub fn usd() -> Self {
        Currency("USD".into())
    }

    pub fn code(&self) -> &str {
        &self.0
    }

    /// (symbol, minor-unit digits) for display. Unknown currencies show their code.
    fn style(&self) -> (Option<&'static str>, u32) {
        match self.0.as_str() {
            "USD" => (Some("$"), 2),
            "GBP" => (Some("£"), 2),
            "EUR" => (Some("€"), 2),
            "CAD" => (Some("CA$"), 2),
            "AUD" => (Some("A$"), 2),
            "NZD" => (Some("NZ$"), 2),
            "JPY" => (Some("¥"), 0),
            "INR" => (Some("₹"), 2),
            "CHF" => (Some("CHF "), 2),
            "SEK" | "NOK" | "DKK" => (None, 2),
            _ => (None, 2),
        }
    }

    pub fn minor_digits(&self) -> u32 {
        self.style().1
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }
}

impl fmt::Display for Money {
    /// `$69.84`, `-£5.00`, `¥1200`, `SEK 99.00`: the form Gladly parses a number out of.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (symbol, digits) = self.currency.style();
        let rounded = self
            .amount
            .round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
        let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
            "-"
        } else {
            ""
        };
        let abs = rounded.abs();
        let number = format!("{abs:.prec$}", prec = digits as usize);
        match symbol {
            Some(s) => write!(f, "{sign}{s}{number}"),
            None => write!(f, "{sign}{} {number}", self.currency.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn m(amount: Decimal, code: &str) -> String {
        Money::new(amount, Currency::new(code).unwrap_or_else(Currency::usd)).to_string()
    }

    #[test]
    fn formats_with_symbol_and_minor_units() {
        assert_eq!(m(dec!(69.84), "USD"), "$69.84");
        assert_eq!(m(dec!(69.8400), "usd"), "$69.84");
        assert_eq!(m(dec!(5), "GBP"), "£5.00");
        assert_eq!(m(dec!(1200.4), "JPY"), "¥1200");
        assert_eq!(m(dec!(-2.005), "EUR"), "-€2.01");
        assert_eq!(m(dec!(99), "SEK"), "SEK 99.00");
        assert_eq!(m(dec!(-0.001), "USD"), "$0.00");
    }

    #[test]
    fn currency_codes_are_checked() {
        assert!(Currency::new("US").is_none());
        assert!(Currency::new("U$D").is_none());
        assert_eq!(
            Currency::new(" gbp ").map(|c| c.code().to_string()),
            Some("GBP".into())
        );
    }
}
