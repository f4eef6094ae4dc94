//! The store credit form's submitted attributes: an amount above 0 in the store's default
//! currency, no finer than its minor unit, and a reason from the list.

use crate::actions::fields::{collect, FieldError, Fields};
use crate::actions::reasons::{Reason, Reasons};
use crate::money::{Currency, Money};

/// The reasons offered (value, text) when the merchant lists none of their own; the chosen
/// text goes into the audit line and the customer's notes.
pub const STORE_CREDIT_REASONS: crate::actions::reasons::Options = &[
    ("damaged", "Arrived damaged"),
    ("late", "Arrived late"),
    ("not_received", "Not received"),
    ("price_adjustment", "Price adjustment"),
    ("service_recovery", "Service recovery"),
    ("goodwill", "Goodwill gesture"),
    ("other", "Other"),
];

/// The reasons the store credit form offers: the merchant's, else `STORE_CREDIT_REASONS`.
pub fn reasons(rails: &crate::guardrails::Guardrails) -> Reasons {
    Reasons::of(rails.reasons.as_ref(), STORE_CREDIT_REASONS)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditInput {
    /// In the store's default currency.
    pub amount: Money,
    pub reason: Reason,
}

impl CreditInput {
    /// The reason as the agent picked it: its text.
    pub fn reason_text(&self) -> String {
        self.reason.text.clone()
    }
}

/// Reads the body against the store's default `currency`; every problem is named by its field.
pub fn parse(
    body: &[u8],
    currency: &Currency,
    reasons: &Reasons,
) -> Result<CreditInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let digits = currency.minor_digits();
    let example = crate::actions::amount::example(digits);
    let amount = collect(f.positive_amount("amount", digits, &example), &mut e);
    let reason = reasons.collect(&f, &mut e);
    match (amount, reason) {
        (Some(amount), Some(reason)) if e.is_empty() => Ok(CreditInput {
            amount: Money::new(amount, currency.clone()),
            reason,
        }),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::{json, Value};

    fn usd() -> Currency {
        Currency::usd()
    }

    fn of(v: Value, c: &Currency) -> Result<CreditInput, Vec<FieldError>> {
        parse(
            v.to_string().as_bytes(),
            c,
            &reasons(&crate::guardrails::Guardrails::default()),
        )
    }

    /// (attr, code) of the one problem `v` has.
    fn problem(v: Value, c: &Currency) -> (String, String) {
        let e = of(v.clone(), c).err().unwrap_or_default();
        assert_eq!(e.len(), 1, "{v}: {e:?}");
        (e[0].attr.clone(), e[0].code.clone())
    }

    #[test]
    fn an_amount_and_a_reason_read_as_the_agent_meant() {
        let ok = of(json!({"amount": "12,50", "reason": "late"}), &usd());
        assert_eq!(
            ok.as_ref()
                .map(|c| (c.amount.amount, c.reason.value.as_str())),
            Ok((dec!(12.50), "late"))
        );
        assert_eq!(ok.map(|c| c.reason_text()), Ok("Arrived late".into()));
        let yen = Currency::new("JPY").unwrap_or_else(Currency::usd);
        assert_eq!(
            of(json!({"amount": "1200", "reason": "other"}), &yen).map(|c| c.amount.amount),
            Ok(dec!(1200))
        );
    }

    #[test]
    fn each_bad_input_is_named() {
        let amount = |a: Value| problem(json!({"amount": a, "reason": "goodwill"}), &usd());
        assert_eq!(amount(json!("lots")), ("amount".into(), "invalid".into()));
        assert_eq!(amount(json!("0")), ("amount".into(), "required".into()));
        assert_eq!(amount(json!("-5")), ("amount".into(), "negative".into()));
        assert_eq!(
            amount(json!("1.2345")),
            ("amount".into(), "too_many_decimals".into())
        );
        assert_eq!(amount(json!("")).1, "required");
        let yen = Currency::new("JPY").unwrap_or_else(Currency::usd);
        assert_eq!(
            problem(json!({"amount": "12.5", "reason": "goodwill"}), &yen),
            ("amount".into(), "too_many_decimals".into()),
            "finer than the yen's minor unit"
        );
        assert_eq!(
            problem(json!({"amount": "5", "reason": "bribe"}), &usd()),
            ("reason".into(), "invalid".into())
        );
        assert_eq!(problem(json!({"amount": "5"}), &usd()).0, "reason");
        let both = of(json!({"amount": "x"}), &usd()).err().unwrap_or_default();
        assert_eq!(both.len(), 2, "every problem at once: {both:?}");
    }
}
