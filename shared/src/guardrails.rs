//! What the shop's managers allow agents to do, from optional keys of the store secret:
//! `actions` (which actions are offered; default all), `max_refund` (the most the adaptor
//! refunds on one order in total, across refunds and cancels, in the store's default currency),
//! `max_gift_certificate` (one certificate, default 100), `gift_certificate_from_name` /
//! `gift_certificate_from_email` (the sender on certificates), and the limits of `LIMITS`
//! (a discount's most, the store's gift certificates per day, a replacement's value, and the
//! most store credit one action adds).
//! A disabled action has no link and answers 406; an action over a ceiling answers 406 with the
//! limit in words and what is left.

use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;

pub use crate::actions::kind::ActionKind;

/// The secret keys the guardrails read.
pub const KEYS: [&str; 14] = [
    "actions",
    "max_refund",
    "max_gift_certificate",
    "gift_certificate_from_name",
    "gift_certificate_from_email",
    "restock_default",
    "max_discount_percent",
    "max_discount_amount",
    "max_discount_uses",
    "max_discount_days",
    "max_gift_certificates_per_day",
    "max_gift_certificate_value_per_day",
    "max_replacement_value",
    "max_store_credit",
];

/// The limits with a default: a value that does not read is refused by name (`ignored`) and the
/// default holds, so a typo never lifts a limit and never stops the store.
pub const LIMITS: [(&str, Limit); 8] = [
    (
        "max_discount_percent",
        Limit::Amount(Decimal::from_parts(50, 0, 0, false, 0)),
    ),
    ("max_discount_amount", Limit::Amount(Decimal::ONE_HUNDRED)),
    ("max_discount_uses", Limit::Count(10)),
    ("max_discount_days", Limit::Count(90)),
    ("max_gift_certificates_per_day", Limit::Count(20)),
    (
        "max_gift_certificate_value_per_day",
        Limit::Amount(Decimal::ONE_THOUSAND),
    ),
    (
        "max_replacement_value",
        Limit::Amount(Decimal::from_parts(200, 0, 0, false, 0)),
    ),
    (
        "max_store_credit",
        Limit::Amount(Decimal::from_parts(50, 0, 0, false, 0)),
    ),
];

/// A limit's value: an amount above 0 with at most 4 decimals (`250.00`), or a whole number
/// from 1 on (`10`). Nothing else reads: no sign, no exponent, no thousands separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Amount(Decimal),
    Count(u64),
}

impl Limit {
    fn read(self, text: &str) -> Option<Limit> {
        let plain = !text.is_empty()
            && text.chars().all(|c| c.is_ascii_digit() || c == '.')
            && text.chars().filter(|c| *c == '.').count() <= 1;
        if !plain {
            return None;
        }
        match self {
            Limit::Amount(_) => Decimal::from_str(text)
                .ok()
                .filter(|d| {
                    *d > Decimal::ZERO && d.scale() <= 4 && *d < Decimal::from(1_000_000_000)
                })
                .map(Limit::Amount),
            Limit::Count(_) => text
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .map(Limit::Count),
        }
    }

    pub fn amount(self) -> Decimal {
        match self {
            Limit::Amount(d) => d,
            Limit::Count(n) => Decimal::from(n),
        }
    }

    fn must_be(self) -> &'static str {
        match self {
            Limit::Amount(_) => "an amount above 0, like 250.00",
            Limit::Count(_) => "a whole number from 1 to 1000000",
        }
    }
}

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
    /// The most percent off one discount code may take (`max_discount_percent`, default 50).
    pub max_discount_percent: Decimal,
    /// The most a fixed-amount discount takes off, in the store's default currency
    /// (`max_discount_amount`, default 100).
    pub max_discount_amount: Decimal,
    /// The most uses one discount code may have (`max_discount_uses`, default 10).
    pub max_discount_uses: u64,
    /// The most days one discount code may last (`max_discount_days`, default 90).
    pub max_discount_days: u64,
    /// The store's gift certificates per day (UTC), count and value in the store's default
    /// currency (`max_gift_certificates_per_day` default 20,
    /// `max_gift_certificate_value_per_day` default 1000).
    pub max_gift_certificates_per_day: u64,
    pub max_gift_certificate_value_per_day: Decimal,
    /// The merchant's reasons (`reasons`), offered by refund, cancel, replacement, store credit
    /// and gift certificate; `None`: each form's own list.
    pub reasons: Option<crate::actions::reasons::MerchantReasons>,
    /// The most a replacement's items may be worth at their original prices with tax, in the
    /// store's default currency (`max_replacement_value`, default 200).
    pub max_replacement_value: Decimal,
    /// The most store credit one action adds, in the store's default currency
    /// (`max_store_credit`, default 50).
    pub max_store_credit: Decimal,
    /// Limit keys whose value did not read, each named with what it must be (never its value):
    /// their defaults hold, and the secret's reader logs them.
    pub ignored: Vec<String>,
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
            max_discount_percent: LIMITS[0].1.amount(),
            max_discount_amount: LIMITS[1].1.amount(),
            max_discount_uses: 10,
            max_discount_days: 90,
            max_gift_certificates_per_day: 20,
            max_gift_certificate_value_per_day: LIMITS[5].1.amount(),
            reasons: None,
            max_replacement_value: LIMITS[6].1.amount(),
            max_store_credit: LIMITS[7].1.amount(),
            ignored: Vec::new(),
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
        for (key, default) in LIMITS {
            let Some(text) = get(key) else { continue };
            let Some(value) = default.read(&text) else {
                g.ignored.push(format!(
                    "{key} must be {}; its default {} holds",
                    default.must_be(),
                    default.amount()
                ));
                continue;
            };
            let (amount, count) = (value.amount(), u64::try_from(value.amount()).unwrap_or(0));
            match key {
                "max_discount_percent" => g.max_discount_percent = amount.min(Decimal::ONE_HUNDRED),
                "max_discount_amount" => g.max_discount_amount = amount,
                "max_discount_uses" => g.max_discount_uses = count,
                "max_discount_days" => g.max_discount_days = count,
                "max_gift_certificates_per_day" => g.max_gift_certificates_per_day = count,
                "max_gift_certificate_value_per_day" => {
                    g.max_gift_certificate_value_per_day = amount
                }
                "max_store_credit" => g.max_store_credit = amount,
                _ => g.max_replacement_value = amount,
            }
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

    fn g_default_replacement() -> Decimal {
        from(&[]).unwrap_or_default().max_replacement_value
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

    #[test]
    fn limits_default_and_a_value_that_does_not_read_leaves_the_default() {
        let g = from(&[]).unwrap_or_default();
        assert_eq!(
            (
                g.max_discount_percent,
                g.max_discount_amount,
                g.max_discount_uses,
                g.max_discount_days,
                g.max_gift_certificates_per_day,
                g.max_gift_certificate_value_per_day
            ),
            (dec!(50), dec!(100), 10, 90, 20, dec!(1000))
        );
        let g = from(&[
            ("max_discount_percent", "25"),
            ("max_discount_amount", "12.50"),
            ("max_discount_uses", "3"),
            ("max_gift_certificates_per_day", "1"),
        ])
        .unwrap_or_default();
        assert_eq!(
            (
                g.max_discount_percent,
                g.max_discount_amount,
                g.max_discount_uses
            ),
            (dec!(25), dec!(12.50), 3)
        );
        assert_eq!(g.max_gift_certificates_per_day, 1);
        assert!(g.ignored.is_empty());
        assert_eq!(g.max_store_credit, dec!(50), "the default");
        let g = from(&[("max_store_credit", "12.5")]).unwrap_or_default();
        assert_eq!((g.max_store_credit, g.ignored.len()), (dec!(12.5), 0));
        for bad in ["-5", "abc", "0", "1,000"] {
            let g = from(&[("max_store_credit", bad)]).unwrap_or_default();
            assert_eq!(g.max_store_credit, dec!(50), "{bad}");
            assert!(
                g.ignored.len() == 1 && g.ignored[0].starts_with("max_store_credit must be"),
                "{bad}: {:?}",
                g.ignored
            );
        }
        for bad in ["-5", "abc", "1e9", "0", "2.5.1", " ", "1,000", "+3", "NaN"] {
            let g = from(&[
                ("max_discount_uses", bad),
                ("max_gift_certificate_value_per_day", bad),
            ])
            .unwrap_or_default();
            assert_eq!(g.max_discount_uses, 10, "{bad}");
            assert_eq!(g.max_gift_certificate_value_per_day, dec!(1000), "{bad}");
            assert_eq!(g.ignored.len(), 2, "{bad}: {:?}", g.ignored);
            assert!(g.ignored[0].starts_with("max_discount_uses must be"));
            if ["-5", "abc", "1e9"].contains(&bad) {
                assert!(g.ignored.iter().all(|m| !m.contains(bad)), "{bad}");
            }
        }
        assert_eq!(g_default_replacement(), dec!(200));
        let g = from(&[("max_replacement_value", "75.50")]).unwrap_or_default();
        assert_eq!((g.max_replacement_value, g.ignored.len()), (dec!(75.50), 0));
        let g = from(&[("max_replacement_value", "-1")]).unwrap_or_default();
        assert_eq!(
            g.max_replacement_value,
            dec!(200),
            "a bad value keeps the default"
        );
        assert!(
            g.ignored[0].starts_with("max_replacement_value must be"),
            "{:?}",
            g.ignored
        );
        // A count is whole.
        assert_eq!(
            from(&[("max_discount_days", "7.5")])
                .unwrap_or_default()
                .max_discount_days,
            90
        );
    }
}
