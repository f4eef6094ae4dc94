//! The reasons a form offers: the merchant's own (`reasons` in the store secret, comma-separated,
//! each option's value and text the same words), or, unset, the list the action has always had
//! (none for the gift certificate). The chosen reason's words go into the audit line, a refund's
//! items and the `ActionsByReason` metric, so a merchant sees why money leaves the store.

use super::fields::{collect, select, FieldError, Fields};
use serde_json::Value;

/// An action's own list: (value, text).
pub type Options = &'static [(&'static str, &'static str)];

/// The most reasons a merchant may list, and the most characters in one: a select an agent can
/// read, and metric dimensions CloudWatch can keep.
const MOST: usize = 25;
const LONGEST: usize = 60;

/// The merchant's reasons, as the secret lists them (checked once, when the secret is read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantReasons(Vec<String>);

/// Why a `reasons` value is refused: names the key and what it must be, never the value.
pub const MUST: &str = "reasons must be a comma-separated list of 1 to 25 reasons, each 1 to 60 \
                        characters without brackets or control characters, none twice; each \
                        form's own list holds";

impl MerchantReasons {
    /// `Err` is `MUST`: the secret's reader logs it and the actions' own lists hold.
    pub fn parse(text: &str) -> Result<Self, String> {
        let list: Vec<String> = text.split(',').map(|r| r.trim().to_string()).collect();
        let readable = |r: &String| {
            let n = r.chars().count();
            (1..=LONGEST).contains(&n)
                && !r.chars().any(|c| c.is_control() || matches!(c, '[' | ']'))
        };
        let distinct = |i: usize, r: &String| {
            !list[..i]
                .iter()
                .any(|earlier| earlier.eq_ignore_ascii_case(r))
        };
        if list.len() > MOST
            || !list
                .iter()
                .enumerate()
                .all(|(i, r)| readable(r) && distinct(i, r))
        {
            return Err(MUST.into());
        }
        Ok(MerchantReasons(list))
    }
}

/// The reasons one form offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reasons(Vec<(String, String)>);

/// The reason an agent picked: its value as the form sent it, and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub value: String,
    pub text: String,
}

impl Reasons {
    /// The merchant's list when set, else the action's own.
    pub fn of(merchant: Option<&MerchantReasons>, own: Options) -> Reasons {
        Self::merchants(merchant).unwrap_or_else(|| {
            Reasons(
                own.iter()
                    .map(|(v, t)| (v.to_string(), t.to_string()))
                    .collect(),
            )
        })
    }

    /// For a form with no list of its own: the merchant's, or `None` (it asks no reason).
    pub fn merchants(merchant: Option<&MerchantReasons>) -> Option<Reasons> {
        merchant.map(|m| Reasons(m.0.iter().map(|r| (r.clone(), r.clone())).collect()))
    }

    fn options(&self) -> Vec<(&str, &str)> {
        self.0
            .iter()
            .map(|(v, t)| (v.as_str(), t.as_str()))
            .collect()
    }

    /// The form's "Reason" select.
    pub fn select(&self) -> Value {
        select("Reason", "reason", &self.options(), false, None)
    }

    /// The submitted `reason`: one of the list (any ASCII case), or a field error naming it.
    pub fn read(&self, f: &Fields) -> Result<Reason, FieldError> {
        let value = f.choice("reason", &self.options(), None)?;
        let text = self
            .0
            .iter()
            .find(|(v, _)| *v == value)
            .map_or_else(|| value.clone(), |(_, t)| t.clone());
        Ok(Reason { value, text })
    }

    /// `read`, its error collected with the form's others.
    pub fn collect(&self, f: &Fields, e: &mut Vec<FieldError>) -> Option<Reason> {
        collect(self.read(f), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: Options = &[("damaged", "Arrived damaged"), ("other", "Other")];

    fn fields(body: &str) -> Fields {
        Fields::parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn the_merchants_words_are_value_and_text() {
        let m = MerchantReasons::parse(" Broken in transit ,Late, Goodwill").unwrap();
        let r = Reasons::of(Some(&m), OWN);
        let sel = r.select();
        let opts = sel["input"]["options"].as_array().unwrap();
        assert_eq!(opts.len(), 3);
        assert_eq!(opts[0]["value"], "Broken in transit");
        assert_eq!(opts[0]["text"], "Broken in transit");
        let got = r.read(&fields(r#"{"reason":"late"}"#)).unwrap();
        assert_eq!(got.text, "Late");
        // The action's own values are not reasons any more.
        let e = r.read(&fields(r#"{"reason":"damaged"}"#)).unwrap_err();
        assert_eq!(e.attr, "reason");
        assert!(
            e.detail.contains("Broken in transit, Late, Goodwill"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn unset_each_form_keeps_its_own_list_or_none() {
        let r = Reasons::of(None, OWN);
        let got = r.read(&fields(r#"{"reason":"damaged"}"#)).unwrap();
        assert_eq!(
            (got.value.as_str(), got.text.as_str()),
            ("damaged", "Arrived damaged")
        );
        assert_eq!(r.read(&fields("{}")).unwrap_err().code, "required");
        assert_eq!(Reasons::merchants(None), None);
    }

    #[test]
    fn malformed_lists_are_refused_by_name() {
        let long = "x".repeat(61);
        let many = (0..26)
            .map(|i| format!("r{i}"))
            .collect::<Vec<_>>()
            .join(",");
        for bad in [
            "",
            "  ",
            ",",
            "Late,,Broken",
            "Late,",
            "Late, late",
            "[gladly:forged]",
            "Late\u{7}",
            long.as_str(),
            many.as_str(),
        ] {
            let why = MerchantReasons::parse(bad).unwrap_err();
            assert!(why.starts_with("reasons "), "{bad:?}: {why}");
        }
        assert!(MerchantReasons::parse(&"x".repeat(60)).is_ok());
        let most = (0..25)
            .map(|i| format!("r{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(MerchantReasons::parse(&most).is_ok());
        assert!(MerchantReasons::parse("Zoë's parcel").is_ok());
    }
}
