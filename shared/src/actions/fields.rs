//! The form-field toolkit every action's form and input share: Gladly form sections (text,
//! select, text field, checkbox), request ids and path segments, and the submitted attributes
//! read back as typed values. Every problem is a `FieldError` naming its input, so Gladly keeps
//! the form open and shows it there.

use super::amount::{example, parse_amount, AmountError};
use super::engine::{Outcome, Settled};
use crate::ids::RequestId;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// One field's problem, in Gladly's shape: `{"attr", "code", "detail"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub attr: String,
    /// Machine-readable: `required`, `invalid`, `too_large`, `ambiguous`, `not_on_order`, ...
    pub code: String,
    pub detail: String,
}

pub fn err(attr: &str, detail: impl Into<String>) -> FieldError {
    coded(attr, "invalid", detail)
}

pub fn coded(attr: &str, code: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        attr: attr.to_string(),
        code: code.to_string(),
        detail: detail.into(),
    }
}

/// Agent text goes to BigCommerce beside our `[gladly:<requestId>]` markers: brackets become
/// parentheses, so no note can forge or break a marker.
pub fn defang(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '[' => '(',
            ']' => ')',
            c => c,
        })
        .collect()
}

/// The submitted attributes.
pub struct Fields(pub Map<String, Value>);

impl Fields {
    /// An empty body counts as no attributes; anything but a JSON object is refused.
    pub fn parse(body: &[u8]) -> Result<Self, Vec<FieldError>> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Fields(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Fields(m)),
            _ => Err(vec![err(
                "body",
                "the submitted body must be a JSON object of the form's attributes",
            )]),
        }
    }

    pub fn text(&self, attr: &str) -> Option<String> {
        match self.0.get(attr)? {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn choice(
        &self,
        attr: &str,
        options: &[(&str, &str)],
        default: Option<&str>,
    ) -> Result<String, FieldError> {
        let known = options
            .iter()
            .map(|(v, _)| *v)
            .collect::<Vec<_>>()
            .join(", ");
        match self.text(attr).or(default.map(String::from)) {
            None => Err(coded(attr, "required", format!("Pick one of: {known}"))),
            Some(v) => options
                .iter()
                .find(|(o, _)| o.eq_ignore_ascii_case(&v))
                .map(|(o, _)| o.to_string())
                .ok_or_else(|| err(attr, format!("'{:.40}' is not one of: {known}", v))),
        }
    }

    pub fn flag(&self, attr: &str, default: bool) -> Result<bool, FieldError> {
        match self.0.get(attr) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s))
                if matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "true" | "yes" | "on" | "1"
                ) =>
            {
                Ok(true)
            }
            Some(Value::String(s))
                if matches!(
                    s.trim().to_ascii_lowercase().as_str(),
                    "false" | "no" | "off" | "0" | ""
                ) =>
            {
                Ok(false)
            }
            _ => Err(err(attr, "must be true or false")),
        }
    }

    /// A whole number from 0 to `max`; blank is 0.
    pub fn whole(&self, attr: &str, max: u64) -> Result<u64, FieldError> {
        let Some(t) = self.text(attr) else {
            return Ok(0);
        };
        let n = t
            .parse::<u64>()
            .map_err(|_| err(attr, format!("Enter a whole number from 0 to {max}")))?;
        if n > max {
            return Err(coded(
                attr,
                "too_large",
                format!("At most {max} can be refunded"),
            ));
        }
        Ok(n)
    }

    /// A money amount from 0 to `max` with at most `digits` decimals, as agents anywhere type
    /// it (`12,50`, `1.234,56`); blank is 0.
    pub fn amount(
        &self,
        attr: &str,
        max: Decimal,
        digits: u32,
        shown_max: &str,
    ) -> Result<Decimal, FieldError> {
        let Some(t) = self.text(attr) else {
            return Ok(Decimal::ZERO);
        };
        let d = parse_amount(&t, digits).map_err(|e| {
            coded(
                attr,
                amount_code(&e),
                format!("{}, up to {shown_max}", e.explain(&example(digits))),
            )
        })?;
        if d > max {
            return Err(coded(
                attr,
                "too_large",
                format!("At most {shown_max} remains refundable"),
            ));
        }
        Ok(d)
    }

    /// A money amount above 0 with at most `digits` decimals (the currency's minor unit), as
    /// agents anywhere type it: missing, 0 or below, not a number and too fine are each named.
    pub fn positive_amount(
        &self,
        attr: &str,
        digits: u32,
        example: &str,
    ) -> Result<Decimal, FieldError> {
        let Some(t) = self.text(attr) else {
            return Err(coded(
                attr,
                "required",
                format!("Enter the amount, like {example}"),
            ));
        };
        match parse_amount(&t, digits) {
            Ok(d) if d > Decimal::ZERO => Ok(d),
            Ok(_) => Err(coded(attr, "required", "Enter an amount above 0")),
            Err(e) => Err(coded(attr, amount_code(&e), e.explain(example))),
        }
    }

    pub fn note(&self) -> Result<String, FieldError> {
        let n = self.text("note").unwrap_or_default();
        if n.chars().count() > 500 {
            return Err(coded(
                "note",
                "too_long",
                "Keep the note under 500 characters",
            ));
        }
        Ok(defang(
            &n.chars()
                .filter(|c| !c.is_control() || *c == '\n')
                .collect::<String>(),
        ))
    }
}

/// The code of an amount that does not read.
fn amount_code(e: &AmountError) -> &'static str {
    match e {
        AmountError::Ambiguous { .. } => "ambiguous",
        AmountError::TooManyDecimals { .. } => "too_many_decimals",
        AmountError::Negative => "negative",
        _ => "invalid",
    }
}

/// Collects every field's problem at once, so the agent fixes them in one go.
pub fn collect<T>(r: Result<T, FieldError>, errors: &mut Vec<FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// A new request id: 32 lower-case hex characters.
pub fn new_request_id() -> RequestId {
    RequestId::new_random()
}

/// `guest:jane@x.com` → `guest%3Ajane%40x.com`, for a path segment.
pub fn path_segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What settling earlier requests on the order showed, one sentence each, for the agent.
pub fn settled_notes(settled: &[Settled]) -> Vec<String> {
    settled
        .iter()
        .map(|s| match &s.outcome {
            Some(Outcome::Done { message, detail }) => format!(
                "An earlier {} (request {}) did go through: {message}. {detail}",
                s.scope.noun(),
                s.id.short()
            ),
            _ => format!(
                "An earlier {} attempt (request {}) did not go through: it changed nothing.",
                s.scope.noun(),
                s.id.short()
            ),
        })
        .collect()
}

/// A refusal's detail: what earlier requests on the order did, else `otherwise` (what was left
/// unchanged or what the agent can do instead). Never empty: Gladly shows both lines.
pub fn detail_or(notes: &[String], otherwise: &str) -> String {
    let earlier = notes.join(" ");
    if earlier.trim().is_empty() {
        otherwise.to_string()
    } else {
        earlier
    }
}

/// The notes as text sections at the top of a form.
pub fn with_notes(mut form: Value, notes: &[String]) -> Value {
    if let Some(sections) = form["sections"].as_array_mut() {
        for (i, n) in notes.iter().enumerate() {
            sections.insert(i, text(n.clone()));
        }
    }
    form
}

pub fn text(t: impl Into<String>) -> Value {
    json!({ "type": "text", "text": t.into() })
}

pub fn select(
    label: &str,
    attr: &str,
    options: &[(&str, &str)],
    optional: bool,
    default: Option<&str>,
) -> Value {
    let mut v = json!({
        "type": "input", "label": label, "attr": attr,
        "input": { "type": "select", "placeholder": "Pick one", "optional": optional,
                   "options": options.iter().map(|(value, text)| json!({ "text": text, "value": value })).collect::<Vec<_>>() }
    });
    if let Some(d) = default {
        v["defaultValue"] = json!(d);
    }
    v
}

pub fn field(label: &str, attr: &str, default: &str, hint: &str, optional: bool) -> Value {
    json!({ "type": "input", "label": label, "attr": attr, "hint": hint, "defaultValue": default,
            "input": { "type": "text", "optional": optional } })
}

pub fn checkbox(label: &str, attr: &str, text_: &str, default: bool) -> Value {
    json!({ "type": "input", "label": label, "attr": attr, "defaultValue": default,
            "input": { "type": "checkbox", "text": text_ } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_fresh_and_path_safe() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(path_segment("guest:jane@x.com"), "guest%3Ajane%40x.com");
    }
}
