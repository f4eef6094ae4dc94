//! Who store credit goes to and how much one action may add: a registered shopper only (a
//! guest has no account to hold it), at most `max_store_credit` in the store's default currency.

use crate::guardrails::Guardrails;
use crate::ids::{CustomerId, ShopperId};
use crate::money::Money;

/// A guest's refusal: the words, and what the agent can do instead.
pub const GUEST: (&str, &str) = (
    "Store credit needs a BigCommerce account, and this shopper checked out as a guest.",
    "Nothing was added. Offer a gift certificate instead: it is on this profile too.",
);

/// The account that holds the credit, or why there is none.
pub fn account(shopper: &ShopperId) -> Result<CustomerId, (&'static str, &'static str)> {
    match shopper {
        ShopperId::Registered(c) => Ok(*c),
        ShopperId::Guest(_) => Err(GUEST),
    }
}

/// Over `max_store_credit` is not for an agent to give: the limit in words.
pub fn within_ceiling(amount: &Money, rails: &Guardrails) -> Result<(), String> {
    if amount.amount > rails.max_store_credit {
        let limit = Money::new(rails.max_store_credit, amount.currency.clone());
        return Err(format!(
            "Store credit above {limit} needs a manager (max_store_credit); this is {amount}."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use rust_decimal_macros::dec;

    #[test]
    fn the_ceiling_is_inclusive_and_said_in_words() {
        let rails = Guardrails::default();
        let usd = |d| Money::new(d, Currency::usd());
        assert!(within_ceiling(&usd(dec!(50)), &rails).is_ok());
        let why = within_ceiling(&usd(dec!(50.01)), &rails).unwrap_err();
        assert_eq!(
            why,
            "Store credit above $50.00 needs a manager (max_store_credit); this is $50.01."
        );
    }

    #[test]
    fn only_an_account_holds_credit() {
        assert_eq!(
            account(&ShopperId::Registered(CustomerId(5))),
            Ok(CustomerId(5))
        );
        assert_eq!(account(&ShopperId::Guest("a@b.co".into())), Err(GUEST));
    }
}
