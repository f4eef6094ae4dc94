//! Shoppers' emails: the one normal form and the one "same email" of the adaptor. Every place
//! that keys, compares or matches an email uses these two functions and nothing else.
//!
//! Only ASCII letters fold, never by Unicode's rules: `'\u{212A}'` (KELVIN SIGN) lower-cases to
//! an ASCII `k` under Unicode's rules, so `jane@example.co.u\u{212A}` would become
//! `jane@example.co.uk`, and a stranger's account under the first would be linked to (and
//! shown as) the shopper who owns the second. Mail systems fold only ASCII in domains, and
//! BigCommerce stores what it was given.

/// Whether two emails are the same shopper's: trimmed, ASCII case-insensitive, nothing else.
pub fn same_email(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// An email as the adaptor keys it (guest ids, cache keys, the emails it asks for): trimmed,
/// ASCII letters lower-cased. `same_email(a, b)` exactly when `normal_email(a) == normal_email(b)`.
pub fn normal_email(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_case_and_spaces_only() {
        assert!(same_email(" Jane.Doe@Example.COM ", "jane.doe@example.com"));
        assert_eq!(
            normal_email(" Jane.Doe@Example.COM "),
            "jane.doe@example.com"
        );
        assert!(!same_email("jane@example.com", "jane@example.co"));
    }

    #[test]
    fn the_kelvin_sign_is_not_a_k() {
        let kelvin = "jane@example.co.u\u{212A}";
        // What Unicode lower-casing would do, and what the adaptor must not.
        assert_eq!(kelvin.to_lowercase(), "jane@example.co.uk");
        assert!(!same_email(kelvin, "jane@example.co.uk"));
        assert!(!same_email(kelvin, "JANE@EXAMPLE.CO.UK"));
        assert_ne!(normal_email(kelvin), normal_email("jane@example.co.uk"));
        assert!(same_email(kelvin, "Jane@Example.CO.U\u{212A}"));
        // Other letters whose lower case is ASCII under Unicode's rules: none fold here.
        for (odd, plain) in [("\u{212B}", "\u{e5}"), ("\u{130}", "i")] {
            assert!(!same_email(
                &format!("a{odd}@x.co"),
                &format!("a{plain}@x.co")
            ));
        }
    }

    #[test]
    fn same_email_is_equality_of_the_normal_form() {
        let samples = [
            "A@b.co",
            " a@B.CO",
            "a@b.co.u\u{212A}",
            "ä@b.co",
            "Ä@b.co",
            "a@b.co.uk",
        ];
        for a in samples {
            for b in samples {
                assert_eq!(
                    same_email(a, b),
                    normal_email(a) == normal_email(b),
                    "{a:?} {b:?}"
                );
            }
        }
    }
}
