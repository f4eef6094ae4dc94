//! The note as submitted: free text, kept whole. At most `MAX_CHARS` characters after trimming
//! the ends; newlines (a `\r\n` counts as one) and tabs are kept, any other control character
//! is refused rather than dropped, so what the team reads is what the agent wrote. Brackets
//! become parentheses (`fields::defang`): a note can never forge a request's marker.

use crate::actions::fields::{coded, defang, FieldError, Fields};
use serde_json::Value;

pub const MAX_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteInput {
    pub note: String,
}

pub fn parse(body: &[u8]) -> Result<NoteInput, Vec<FieldError>> {
    let f = Fields::parse(body)?;
    let note = checked(&f).map_err(|e| vec![e])?;
    if note.is_empty() {
        return Err(vec![coded(
            "note",
            "required",
            "Write the note: it is empty",
        )]);
    }
    Ok(NoteInput { note })
}

/// The `note` attribute read as every action reads an agent's note: trimmed (empty when absent
/// or blank), at most `MAX_CHARS` characters, no control characters but newlines and tabs,
/// brackets defanged.
pub fn checked(f: &Fields) -> Result<String, FieldError> {
    let raw = match f.0.get("note") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.replace("\r\n", "\n"),
        Some(_) => return Err(coded("note", "invalid", "The note must be text")),
    };
    let note = raw.trim();
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(coded(
            "note",
            "invalid",
            "The note holds a control character: only line breaks and tabs can be kept",
        ));
    }
    let n = note.chars().count();
    if n > MAX_CHARS {
        return Err(coded(
            "note",
            "too_long",
            format!("At most {MAX_CHARS} characters: this note has {n}"),
        ));
    }
    Ok(defang(note))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(v: Value) -> Result<NoteInput, Vec<FieldError>> {
        parse(v.to_string().as_bytes())
    }

    fn code(v: Value) -> (String, String) {
        let e = of(v.clone()).err().unwrap_or_default();
        assert_eq!(e.len(), 1, "{v}: {e:?}");
        (e[0].attr.clone(), e[0].code.clone())
    }

    #[test]
    fn a_note_is_kept_whole() {
        let long = "é".repeat(MAX_CHARS);
        assert_eq!(
            of(json!({ "note": long.clone() })).ok().map(|n| n.note),
            Some(long)
        );
        assert_eq!(
            of(json!({"note": "  line one\r\n\tline two [gladly:0123456789abcdef] "}))
                .ok()
                .map(|n| n.note),
            Some("line one\n\tline two (gladly:0123456789abcdef)".to_string())
        );
    }

    #[test]
    fn every_bad_note_is_named() {
        let req = ("note".to_string(), "required".to_string());
        assert_eq!(code(json!({})), req);
        assert_eq!(code(json!({"note": ""})), req);
        assert_eq!(code(json!({"note": " \n\t "})), req);
        assert_eq!(code(json!({"note": 5})).1, "invalid");
        assert_eq!(
            code(json!({ "note": "x".repeat(MAX_CHARS + 1) })).1,
            "too_long"
        );
        for bad in [
            "bell\u{7}",
            "nul\u{0}",
            "cr\ronly",
            "esc\u{1b}[31m",
            "c1\u{85}mid",
        ] {
            assert_eq!(code(json!({ "note": bad })).1, "invalid", "{bad:?}");
        }
        assert_eq!(
            parse(b"[1]").err().map(|e| e[0].attr.clone()),
            Some("body".into())
        );
    }
}
