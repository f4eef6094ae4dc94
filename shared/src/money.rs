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

    /// Whether ISO 4217 lists this code (unknown codes still work, with 2 decimals).
    pub fn is_iso(&self) -> bool {
        iso_currency::Currency::from_code(&self.0).is_some()
    }

    /// The symbol shown before an amount; `None` shows the code (`KWD 1.250`). Only symbols
    /// that name one currency unambiguously: `$` is the US dollar alone, `¥` the yen.
    fn symbol(&self) -> Option<&'static str> {
        Some(match self.0.as_str() {
            "USD" => "$",
            "GBP" => "£",
            "EUR" => "€",
            "CAD" => "CA$",
            "AUD" => "A$",
            "NZD" => "NZ$",
            "JPY" => "¥",
            "INR" => "₹",
            "KRW" => "₩",
            "CHF" => "CHF ",
            _ => return None,
        })
    }

    /// Minor-unit digits from ISO 4217 (0 for JPY, KRW, VND, CLP, ISK; 3 for BHD, KWD, JOD,
    /// OMR, TND; 4 for CLF). Codes the standard does not list, or lists without a minor unit
    /// (gold, SDR), are treated as 2, which is what BigCommerce's own admin assumes.
    pub fn minor_digits(&self) -> u32 {
        iso_currency::Currency::from_code(&self.0)
            .and_then(|c| c.exponent())
            .map_or(2, u32::from)
    }

    /// The smallest amount this currency can move: 1, 0.01 or 0.001.
    pub fn minor_unit(&self) -> Decimal {
        Decimal::new(1, self.minor_digits())
    }

    /// `amount` rounded to whole minor units, half away from zero.
    pub fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_digits(), RoundingStrategy::MidpointAwayFromZero)
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
    /// `$69.84`, `-£5.00`, `¥1200`, `KWD 1.250`, `SEK 99.00`: the form Gladly parses a number
    /// out of (no thousands separators, which it would read as the end of the number).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (symbol, digits) = (self.currency.symbol(), self.currency.minor_digits());
        let rounded = self.currency.round(self.amount);
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
