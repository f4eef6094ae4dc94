//! The gift certificate form's submitted attributes.

use crate::actions::fields::{coded, defang, FieldError, Fields};
use crate::actions::reasons::{Reason, Reasons};
use crate::ids::looks_like_email;
use crate::mapping::email::normal_email;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftInput {
    pub amount: Decimal,
    pub to_name: String,
    pub to_email: String,
    pub from_email: String,
    /// Empty when the form sent none (a form opened before the field existed).
    pub from_name: String,
    pub message: String,
    /// The merchant's reason, when the merchant lists reasons (the form has none of its own).
    pub reason: Option<Reason>,
}

/// The certificate form's reasons: the merchant's, if any.
pub fn reasons(rails: &crate::guardrails::Guardrails) -> Option<Reasons> {
    Reasons::merchants(rails.reasons.as_ref())
}

/// The store's default currency has two decimals for nearly every store; BigCommerce rounds the
/// rest.
const DIGITS: u32 = 2;

pub fn parse(body: &[u8], reasons: Option<&Reasons>) -> Result<GiftInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let reason = reasons.and_then(|r| r.collect(&f, &mut e));
    let amount = f
        .positive_amount("amount", DIGITS, "25.00")
        .unwrap_or_else(|x| {
            e.push(x);
            Decimal::ZERO
        });
    let email = |attr: &str, e: &mut Vec<FieldError>| -> String {
        let v = normal_email(&f.text(attr).unwrap_or_default());
        if v.is_empty() {
            e.push(coded(attr, "required", "Enter an email address"));
        } else if !looks_like_email(&v) {
            e.push(coded(attr, "invalid", "This is not an email address"));
        }
        v
    };
    let to_email = email("to_email", &mut e);
    let from_email = email("from_email", &mut e);
    let to_name = defang(&f.text("to_name").unwrap_or_default());
    if to_name.is_empty() {
        e.push(coded("to_name", "required", "Enter the shopper's name"));
    }
    let from_name = defang(&f.text("from_name").unwrap_or_default());
    if from_name.chars().count() > 100 {
        e.push(coded("from_name", "too_long", "At most 100 characters"));
    }
    let message = defang(&f.text("message").unwrap_or_default());
    if message.chars().count() > 250 {
        e.push(coded("message", "too_long", "At most 250 characters"));
    }
    if e.is_empty() {
        Ok(GiftInput {
            amount,
            to_name,
            to_email,
            from_email,
            from_name,
            message,
            reason,
        })
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn amounts_and_emails_are_checked() {
        let ok = parse(br#"{"amount":"25,50","to_name":"Jane","to_email":"Jane@X.com","from_email":"care@shop.com"}"#, None);
        assert_eq!(
            ok.map(|g| (g.amount, g.to_email)),
            Ok((dec!(25.50), "jane@x.com".into()))
        );
        let e = parse(
            br#"{"amount":"0","to_email":"nope","from_email":"care@shop.com"}"#,
            None,
        )
        .unwrap_err();
        let attrs: Vec<&str> = e.iter().map(|x| x.attr.as_str()).collect();
        assert_eq!(attrs, vec!["amount", "to_email", "to_name"]);
    }

    #[test]
    fn a_merchant_s_reason_is_asked_only_when_the_merchant_lists_reasons() {
        let body = br#"{"amount":"10","to_name":"Jane","to_email":"jane@x.com","from_email":"care@shop.com"}"#;
        assert_eq!(parse(body, None).unwrap().reason, None);
        let m = crate::actions::reasons::MerchantReasons::parse("Late, Broken in transit").unwrap();
        let listed = Reasons::merchants(Some(&m)).unwrap();
        let e = parse(body, Some(&listed)).unwrap_err();
        assert_eq!(
            (e[0].attr.as_str(), e[0].code.as_str()),
            ("reason", "required")
        );
        let with = br#"{"amount":"10","to_name":"Jane","to_email":"jane@x.com","from_email":"care@shop.com","reason":"broken in transit"}"#;
        let got = parse(with, Some(&listed)).unwrap().reason.unwrap();
        assert_eq!(got.text, "Broken in transit");
    }
}
