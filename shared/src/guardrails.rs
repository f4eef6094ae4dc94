//! What the shop's managers allow agents to do, from optional keys of the store secret:
//! `actions` (which actions are offered; default all), `max_refund` (the largest refund one
//! action may make, in the store's default currency), `max_gift_certificate` (default 100),
//! `gift_certificate_from_name` / `gift_certificate_from_email` (the sender on certificates).
//! A disabled action has no link and answers 406; an action over a ceiling answers 406 with the
//! limit in words.

use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;

pub use crate::actions::kind::ActionKind;

/// The secret keys the guardrails read.
pub const KEYS: [&str; 6] = [
    "actions",
    "max_refund",
    "max_gift_certificate",
    "gift_certificate_from_name",
    "gift_certificate_from_email",
    "restock_default",
];

pub const DEFAULT_MAX_GIFT_CERTIFICATE: Decimal = Decimal::ONE_HUNDRED;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrails {
    pub enabled: BTreeSet<ActionKind>,
    /// In the store's default currency; `None`: no ceiling.
    pub max_refund: Option<Decimal>,
    /// In the store's default currency.
    pub max_gift_certificate: Decimal,
    /// The sender named on certificates; the store's name when unset.
    pub gift_from_name: Option<String>,
    pub gift_from_email: Option<String>,
    /// Whether "Return the items to stock" starts ticked (`restock_default`).
    pub restock_default: bool,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            enabled: ActionKind::ALL.into_iter().collect(),
            max_refund: None,
            max_gift_certificate: DEFAULT_MAX_GIFT_CERTIFICATE,
            gift_from_name: None,
            gift_from_email: None,
            restock_default: false,
        }
    }
}

impl Guardrails {
    /// From the secret's optional keys (`get` returns a trimmed non-empty value). Errors name
    /// the key and what it must be, never its value.
    pub fn from_keys(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut g = Guardrails::default();
        if let Some(list) = get("actions") {
            let mut enabled = BTreeSet::new();
            for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let kind = ActionKind::ALL
                    .into_iter()
                    .find(|k| k.key().eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        let known: Vec<&str> = ActionKind::ALL.iter().map(|k| k.key()).collect();
                        format!(
                            "actions must be a comma-separated list of: {}",
                            known.join(", ")
                        )
                    })?;
                enabled.insert(kind);
            }
            g.enabled = enabled;
        }
        let amount = |k: &str| -> Result<Option<Decimal>, String> {
            get(k)
                .map(|v| {
                    Decimal::from_str(&v)
                        .ok()
                        .filter(|d| *d > Decimal::ZERO)
                        .ok_or_else(|| format!("{k} must be an amount above 0, like 250.00"))
                })
                .transpose()
        };
        g.max_refund = amount("max_refund")?;
        if let Some(m) = amount("max_gift_certificate")? {
            g.max_gift_certificate = m;
        }
        g.gift_from_name = get("gift_certificate_from_name");
        g.gift_from_email = get("gift_certificate_from_email");
        if let Some(v) = get("restock_default") {
            g.restock_default = match v.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => true,
                "false" | "no" | "0" => false,
                _ => return Err("restock_default must be true or false".into()),
            };
        }
        Ok(g)
    }

    pub fn allows(&self, kind: ActionKind) -> bool {
        self.enabled.contains(&kind)
    }

    /// The refusal for a switched-off action.
    pub fn off(kind: ActionKind) -> String {
        format!("The {} action is switched off for this store.", kind.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn from(pairs: &[(&str, &str)]) -> Result<Guardrails, String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Guardrails::from_keys(|k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_allow_everything_with_a_gift_ceiling() {
        let g = from(&[]).unwrap_or_default();
        assert!(ActionKind::ALL.iter().all(|k| g.allows(*k)));
        assert_eq!((g.max_refund, g.max_gift_certificate), (None, dec!(100)));
    }

    #[test]
    fn keys_narrow_what_agents_may_do() {
        let g = from(&[
            ("actions", "refund, discount"),
            ("max_refund", "250"),
            ("max_gift_certificate", "25.50"),
        ])
        .unwrap_or_default();
        assert!(g.allows(ActionKind::Refund) && !g.allows(ActionKind::Cancel));
        assert_eq!(
            (g.max_refund, g.max_gift_certificate),
            (Some(dec!(250)), dec!(25.50))
        );
        for bad in [
            ("actions", "refund,teleport"),
            ("max_refund", "-1"),
            ("max_refund", "lots"),
        ] {
            let e = from(&[bad]).unwrap_err();
            assert!(e.starts_with(bad.0) && !e.contains(bad.1), "{e}");
        }
    }
}
