//! When a replacement may be sent, and what the staff notes say was sent already. A replacement
//! is for items that went out: offered on an order with shipped items that is not Cancelled,
//! Declined or Refunded. Its items' value at the order's prices with tax, in the store's default
//! currency, is held to `max_replacement_value`.

use super::EXTERNAL_SOURCE;
use crate::actions::order::{status, status_name};
use crate::actions::outcomes::audited;
use crate::actions::refund::policy::under_ceiling;
use crate::bigcommerce::models::Order;
use crate::guardrails::Guardrails;
use crate::ids::OrderId;
use rust_decimal::Decimal;

/// What our line on the original order starts with (after the marker and time).
pub const SENT: &str = "Replacement order #";
/// What the first line of a replacement's own staff notes starts with.
pub const FOR: &str = "Replacement for order #";

pub fn replacement_allowed(o: &Order) -> Result<(), String> {
    use status::*;
    if matches!(o.status_id, CANCELLED | DECLINED | REFUNDED) {
        return Err(format!(
            "Order #{} is {}; nothing is replaced on it.",
            o.id,
            status_name(o)
        ));
    }
    if o.items_shipped == 0 {
        return Err(format!(
            "Nothing on order #{} has shipped yet; a replacement is for items that went out.",
            o.id
        ));
    }
    Ok(())
}

/// `max_replacement_value` against the items' value (`value`, in the order's own currency).
pub fn within_ceiling(value: Decimal, o: &Order, rails: &Guardrails) -> Result<(), String> {
    under_ceiling(value, o, rails.max_replacement_value, "Replacements")
}

/// The leading number of `text`.
fn number_at(text: &str) -> Option<OrderId> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    OrderId::parse(&digits)
}

/// The replacement orders our lines in `o`'s staff notes name.
pub fn named_in_notes(o: &Order) -> Vec<OrderId> {
    audited(&o.staff_notes)
        .filter_map(|what| number_at(what.strip_prefix(SENT)?))
        .collect()
}

/// Whether the adaptor made `o` as a replacement (its `external_source`).
pub fn is_replacement(o: &Order) -> bool {
    o.external_source.trim() == EXTERNAL_SOURCE
}

/// The order `r` replaces, when the adaptor made it: its staff notes' first line says.
pub fn replaces(r: &Order) -> Option<OrderId> {
    if !is_replacement(r) {
        return None;
    }
    let first = audited(&r.staff_notes).next()?;
    number_at(first.strip_prefix(FOR)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::order::tests::order;
    use rust_decimal_macros::dec;

    #[test]
    fn offered_on_shipped_orders_that_still_stand() {
        assert!(replacement_allowed(&order(status::SHIPPED, "captured", 1)).is_ok());
        assert!(replacement_allowed(&order(status::COMPLETED, "captured", 2)).is_ok());
        assert!(replacement_allowed(&order(status::PARTIALLY_REFUNDED, "captured", 1)).is_ok());
        for s in [status::CANCELLED, status::DECLINED, status::REFUNDED] {
            let why = replacement_allowed(&order(s, "", 1)).unwrap_err();
            assert!(why.contains("#7"), "{why}");
        }
        let why =
            replacement_allowed(&order(status::AWAITING_FULFILLMENT, "captured", 0)).unwrap_err();
        assert!(why.contains("shipped"), "{why}");
    }

    #[test]
    fn the_ceiling_is_in_the_store_currency_and_said_in_words() {
        let mut o = order(status::SHIPPED, "captured", 1);
        let rails = Guardrails::default();
        assert!(within_ceiling(dec!(200), &o, &rails).is_ok());
        let why = within_ceiling(dec!(200.01), &o, &rails).unwrap_err();
        assert!(why.contains("$200.00") && why.contains("$200.01"), "{why}");
        // £180 at 0.8 to the dollar is $225.
        o.default_currency_code = "GBP".into();
        o.store_default_currency_code = "USD".into();
        o.store_default_to_transactional_exchange_rate = dec!(0.8);
        let why = within_ceiling(dec!(180), &o, &rails).unwrap_err();
        assert!(why.contains("$225.00"), "{why}");
    }

    #[test]
    fn notes_name_earlier_replacements_and_agent_text_cannot_forge_one() {
        let mut o = order(status::SHIPPED, "captured", 1);
        o.staff_notes = "Gift wrap please\n\
            [gladly:0123456789abcdef] 2026-11-26 14:03 UTC Replacement order #201 sent via Gladly. Reason: Arrived damaged.\n\
            [gladly:0123456789abcdee] 2026-11-26 14:05 UTC Note via Gladly: Replacement order #999 sent\n\
            Replacement order #998 sent by hand"
            .into();
        assert_eq!(named_in_notes(&o), vec![OrderId(201)]);
        let mut r = order(status::AWAITING_FULFILLMENT, "", 0);
        r.staff_notes =
            "[gladly:0123456789abcdef] 2026-11-26 14:03 UTC Replacement for order #104 via Gladly."
                .into();
        assert_eq!(replaces(&r), None, "not made by the adaptor");
        r.external_source = EXTERNAL_SOURCE.into();
        assert_eq!(replaces(&r), Some(OrderId(104)));
        assert!(is_replacement(&r) && !is_replacement(&o));
    }
}
