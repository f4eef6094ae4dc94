//! The ceiling on a goodwill certificate (`max_gift_certificate`, in the store's default
//! currency): over it is not for an agent to give.

use crate::guardrails::Guardrails;
use rust_decimal::Decimal;

pub fn within_ceiling(amount: Decimal, rails: &Guardrails) -> Result<(), String> {
    if amount > rails.max_gift_certificate {
        return Err(format!(
            "Gift certificates above {} need a manager; this one is {}.",
            rails.max_gift_certificate.normalize(),
            amount.normalize()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_ceiling_is_inclusive_and_said_in_words() {
        let rails = Guardrails::default();
        assert!(within_ceiling(dec!(100), &rails).is_ok());
        let why = within_ceiling(dec!(100.01), &rails).unwrap_err();
        assert!(why.contains("100") && why.contains("100.01"), "{why}");
    }
}
