//! The cancel form's submitted attributes.

use crate::actions::fields::{collect, FieldError, Fields};
use crate::actions::reasons::{Reason, Reasons};

/// The cancel's reasons when the merchant lists none of their own.
pub const CANCEL_REASONS: crate::actions::reasons::Options = &[
    ("customer_request", "Customer asked to cancel"),
    ("out_of_stock", "Out of stock"),
    ("fraud_suspected", "Suspected fraud"),
    ("duplicate_order", "Duplicate order"),
    ("other", "Other"),
];

/// The reasons the cancel form offers: the merchant's, else `CANCEL_REASONS`.
pub fn reasons(rails: &crate::guardrails::Guardrails) -> Reasons {
    Reasons::of(rails.reasons.as_ref(), CANCEL_REASONS)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelInput {
    pub reason: Reason,
    pub note: String,
    pub notify: bool,
    /// Return every item to stock after the cancel.
    pub restock: bool,
}

pub fn parse(body: &[u8], reasons: &Reasons) -> Result<CancelInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let mut e = Vec::new();
    let reason = reasons.collect(&f, &mut e);
    let note = collect(f.note(), &mut e);
    let notify = collect(f.flag("notify", true), &mut e);
    let restock = collect(f.flag("restock", false), &mut e);
    match (reason, note, notify, restock) {
        (Some(reason), Some(note), Some(notify), Some(restock)) if e.is_empty() => {
            Ok(CancelInput {
                reason,
                note,
                notify,
                restock,
            })
        }
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.attr).collect()
    }

    /// With the cancel's own reasons (no merchant list).
    fn parse(body: &[u8]) -> Result<CancelInput, Vec<FieldError>> {
        super::parse(body, &reasons(&crate::guardrails::Guardrails::default()))
    }

    #[test]
    fn cancel_needs_a_known_reason() {
        assert_eq!(
            parse(br#"{"reason":"out_of_stock","note":" ok ","notify":false}"#).unwrap(),
            CancelInput {
                reason: Reason {
                    value: "out_of_stock".into(),
                    text: "Out of stock".into()
                },
                note: "ok".into(),
                notify: false,
                restock: false
            }
        );
        assert_eq!(attrs(parse(b"").unwrap_err()), vec!["reason"]);
        assert_eq!(
            attrs(parse(br#"{"reason":"x","notify":"maybe"}"#).unwrap_err()),
            vec!["reason", "notify"]
        );
    }

    #[test]
    fn notes_cannot_forge_a_marker() {
        let c = parse(br#"{"reason":"other","note":"[gladly:0123456789abcdef] hi"}"#).unwrap();
        assert_eq!(c.note, "(gladly:0123456789abcdef) hi");
    }
}
