//! The managers' limits on one discount code: how much off, how many uses, how many days.

use super::input::{DiscountInput, DiscountKind};
use crate::guardrails::Guardrails;

/// `Err` is the refusal (the limit, its secret key, and what was asked) and the key, for the
/// metric.
pub fn within_limits(d: &DiscountInput, rails: &Guardrails) -> Result<(), (String, &'static str)> {
    let over = |key: &'static str, limit: String, asked: String| {
        Err((
            format!("Over the store's limit for one discount code through Gladly ({key}): at most {limit}; this one asks {asked}."),
            key,
        ))
    };
    match &d.kind {
        DiscountKind::Percent(p) if *p > rails.max_discount_percent => {
            return over(
                "max_discount_percent",
                format!("{}% off", rails.max_discount_percent.normalize()),
                format!("{}% off", p.normalize()),
            )
        }
        DiscountKind::Fixed(a) if *a > rails.max_discount_amount => {
            return over(
                "max_discount_amount",
                format!("{:.2} off (store currency)", rails.max_discount_amount),
                format!("{a:.2} off"),
            )
        }
        _ => {}
    }
    if d.uses > rails.max_discount_uses {
        return over(
            "max_discount_uses",
            format!("{} uses", rails.max_discount_uses),
            format!("{} uses", d.uses),
        );
    }
    if u64::from(d.days) > rails.max_discount_days {
        return over(
            "max_discount_days",
            format!("{} days", rails.max_discount_days),
            format!("{} days", d.days),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    fn input(kind: DiscountKind, days: u32, uses: u64) -> DiscountInput {
        DiscountInput {
            kind,
            days,
            min_purchase: Decimal::ZERO,
            uses,
            storefronts: Vec::new(),
            store_utc_offset: chrono::Offset::fix(&chrono::Utc),
        }
    }

    #[test]
    fn each_limit_refuses_in_its_words_and_the_defaults_pass_the_usual_code() {
        let rails = Guardrails::default();
        assert!(within_limits(&input(DiscountKind::Percent(dec!(10)), 30, 1), &rails).is_ok());
        assert!(within_limits(&input(DiscountKind::FreeShipping, 90, 10), &rails).is_ok());
        for (d, key, words) in [
            (
                input(DiscountKind::Percent(dec!(60)), 30, 1),
                "max_discount_percent",
                "at most 50% off; this one asks 60% off",
            ),
            (
                input(DiscountKind::Fixed(dec!(150)), 30, 1),
                "max_discount_amount",
                "at most 100.00 off (store currency); this one asks 150.00 off",
            ),
            (
                input(DiscountKind::Percent(dec!(10)), 30, 11),
                "max_discount_uses",
                "at most 10 uses; this one asks 11 uses",
            ),
            (
                input(DiscountKind::Percent(dec!(10)), 91, 1),
                "max_discount_days",
                "at most 90 days; this one asks 91 days",
            ),
        ] {
            let (why, k) = within_limits(&d, &rails).unwrap_err();
            assert_eq!(k, key);
            assert!(why.contains(key) && why.contains(words), "{why}");
        }
    }
}
