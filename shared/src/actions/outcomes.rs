//! What BigCommerce's answers mean for the agent, shared by every action: markers, the wire
//! format of money, and store errors turned into outcomes (refused, nothing done, or not
//! confirmed).

use super::once::Outcome;
use crate::bigcommerce::models::{Order, RefundPayment};
use crate::bigcommerce::BcError;
use crate::ids::RequestId;
use crate::money::Currency;
use rust_decimal::Decimal;
use serde_json::Value;

/// Money as BigCommerce's v3 bodies take it: a JSON number, rounded to the currency.
pub fn wire(d: Decimal, currency: &Currency) -> Value {
    use rust_decimal::prelude::ToPrimitive;
    d.round_dp(currency.minor_digits())
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The marker an action leaves at BigCommerce.
pub fn marker(id: &RequestId) -> String {
    format!("[gladly:{id}]")
}

/// `[gladly:<id>] text`, cut to `max` characters from the end, so the marker always survives.
pub fn marked(id: &RequestId, text: &str, max: usize) -> String {
    format!("{} {}", marker(id), text.trim())
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// BigCommerce answered nothing usable before anything was sent, or refused to start: nothing
/// changed, the same form may be sent again.
pub fn unavailable(e: &BcError) -> Outcome {
    match e {
        BcError::Unauthorized | BcError::Forbidden => Outcome::refused(
            format!("{e}; nothing was changed."),
            "The store's BigCommerce API account needs the Orders (modify) and Marketing (modify) scopes; ask the store admin.",
        ),
        BcError::NotSent => Outcome::nothing_done(
            "BigCommerce was slow to answer, so nothing was sent; nothing was changed.",
            "Submit the form again.",
        ),
        _ => Outcome::nothing_done(
            format!("BigCommerce did not answer ({e}); nothing was changed."),
            "Submit the form again in a moment.",
        ),
    }
}

/// A write that may or may not have landed.
pub fn not_confirmed(e: &BcError, what: &str) -> Outcome {
    Outcome::uncertain(
        format!("BigCommerce did not confirm {what} ({e}); it may still go through."),
        "Submit this same form again in a little while: it checks what happened first and never does it twice.",
    )
}

/// The outcome of a write that failed: refused, not sent, or unknown.
pub fn write_failed(e: &BcError, what: &str, refused: impl FnOnce(&str) -> Outcome) -> Outcome {
    match e {
        BcError::Rejected { message, .. } => refused(message),
        BcError::RateLimited | BcError::NotSent | BcError::Unauthorized | BcError::Forbidden => {
            unavailable(e)
        }
        _ => not_confirmed(e, what),
    }
}

pub fn label(options: &[(&str, &str)], value: &str) -> String {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| value.to_string())
}

pub fn describe_payments(payments: &[RefundPayment]) -> String {
    payments
        .iter()
        .map(|p| match p.provider_id.as_str() {
            "storecredit" => "store credit".to_string(),
            _ if !p.provider_description.is_empty() => {
                format!("the original payment ({})", p.provider_description)
            }
            other => format!("the original payment ({other})"),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

pub fn currency_of(o: &Order) -> Currency {
    Currency::new(o.currency()).unwrap_or_else(Currency::usd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rid(s: &str) -> RequestId {
        RequestId::parse(s).unwrap_or_else(RequestId::new_random)
    }

    #[test]
    fn the_marker_survives_any_length() {
        let id = rid("0123456789abcdef");
        let long = "x".repeat(5000);
        let m = marked(&id, &long, 1000);
        assert!(m.starts_with("[gladly:0123456789abcdef] "));
        assert_eq!(m.chars().count(), 1000);
    }
}
