//! What BigCommerce's answers mean for the agent, shared by every action: markers, the wire
//! format of money, and store errors turned into outcomes (refused, nothing done, or not
//! confirmed).

use super::engine::Outcome;
use crate::bigcommerce::models::{Order, RefundPayment};
use crate::bigcommerce::BcError;
use crate::ids::RequestId;
use crate::money::Currency;

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

/// The order's staff notes with one more audit line: `[gladly:<id>] 2026-11-26 14:03 UTC what`.
/// Earlier notes stay as they were; the marker leads the line, so a later attempt finds it.
pub fn append_audit(existing: &str, id: &RequestId, what: &str) -> String {
    let line = format!(
        "{} {} {}",
        marker(id),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        what.trim()
    );
    let existing = existing.trim_end();
    if existing.is_empty() {
        line
    } else {
        format!("{existing}\n{line}")
    }
}

/// What each of our audit lines in `notes` says (`append_audit`'s `what`), oldest first: the
/// text after the marker and the time. Lines anyone else wrote are skipped.
pub fn audited(notes: &str) -> impl Iterator<Item = &str> {
    notes.lines().filter_map(|line| {
        let rest = line.trim_start().strip_prefix("[gladly:")?;
        let (id, rest) = rest.split_once("] ")?;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let (_, what) = rest.split_once(" UTC ")?;
        Some(what.trim())
    })
}

/// BigCommerce answered nothing usable before anything was sent, or refused to start: nothing
/// changed, the same form may be sent again.
pub fn unavailable(e: &BcError) -> Outcome {
    match e {
        BcError::Forbidden { .. } => Outcome::misconfigured(
            format!("{e}; nothing was changed."),
            "Add the scope to the store's BigCommerce API account (Settings › API accounts), then try again.",
        ),
        BcError::Unauthorized => Outcome::misconfigured(
            format!("{e}; nothing was changed."),
            "The store's access token was refused even after a refetch: ask the store admin to check the store secret.",
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
        BcError::RateLimited
        | BcError::OverShare
        | BcError::NotSent
        | BcError::Unauthorized
        | BcError::Forbidden { .. } => unavailable(e),
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
    fn audit_lines_read_back() {
        let id = rid("0123456789abcdef");
        let notes = append_audit(&append_audit("by hand", &id, "one"), &id, "two words");
        let got: Vec<&str> = audited(&notes).collect();
        assert_eq!(got, vec!["one", "two words"]);
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
