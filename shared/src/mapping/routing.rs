//! Routing attributes: what Gladly's Rules and People Match can read of a shopper (they read a
//! profile's custom attributes, not its orders), as flat strings under fixed names an admin
//! writes rules on: `customerGroup`, `orderCount`, `lifetimeValue`, `firstOrderAt`,
//! `lastOrderAt`, `openOrders`.

use super::rfc3339;
use crate::actions::order::status;
use crate::bigcommerce::models::Order;
use crate::money::{Currency, Money};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// Statuses of orders never placed: not counted, not summed.
const NOT_PLACED: [u64; 3] = [status::INCOMPLETE, status::CANCELLED, status::DECLINED];

/// Statuses of orders still open (the shopper may well be asking about one).
const OPEN: [u64; 8] = [
    status::PENDING,
    status::AWAITING_PAYMENT,
    status::AWAITING_PICKUP,
    status::AWAITING_SHIPMENT,
    status::AWAITING_FULFILLMENT,
    status::PARTIALLY_SHIPPED,
    status::MANUAL_VERIFICATION,
    status::DISPUTED,
];

/// The order attributes of a whole history, and how many orders `lifetimeValue` left out
/// because their currency or exchange rate could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderAttributes {
    pub attributes: BTreeMap<String, String>,
    pub left_out_of_value: u32,
}

/// An order's amount in the store's default currency: as it is when the order was paid in it,
/// else through the order's own `store_default_to_transactional_exchange_rate` (as the refund
/// ceiling converts). `None` when the order's currency, or a rate it needs, cannot be read.
pub fn in_store_currency(amount: Decimal, o: &Order, store: &Currency) -> Option<Decimal> {
    let paid_in = Currency::new(o.currency())?;
    if paid_in == *store {
        return Some(amount);
    }
    // The rate converts from the store default the order names; one naming another default
    // than the store's own would be summed in the wrong currency.
    if let Some(named) = Currency::new(&o.store_default_currency_code) {
        if named != *store {
            return None;
        }
    }
    let rate = o.store_default_to_transactional_exchange_rate;
    (rate > Decimal::ZERO).then(|| amount / rate)
}

/// `orderCount`, `lifetimeValue`, `firstOrderAt`, `lastOrderAt` and `openOrders` of every order
/// a shopper placed (the whole history: a part would read as a smaller shopper). Orders
/// Incomplete, Cancelled or Declined do not count, nor replacements the adaptor sent (the
/// shopper placed none of them: `actions::replacement::is_replacement`); the value is each order's total with tax
/// less what was refunded of it, in `store`'s currency.
pub fn order_attributes(history: &[&Order], store: &Currency) -> OrderAttributes {
    let placed: Vec<&Order> = history
        .iter()
        .copied()
        .filter(|o| !NOT_PLACED.contains(&o.status_id))
        .filter(|o| !crate::actions::replacement::is_replacement(o))
        .collect();
    let mut value = Decimal::ZERO;
    let mut left_out_of_value = 0;
    for o in &placed {
        match in_store_currency(o.total_inc_tax - o.refunded_amount, o, store) {
            Some(v) => value += v,
            None => left_out_of_value += 1,
        }
    }
    let dates = placed.iter().filter_map(|o| o.date_created);
    let (first, last) = (dates.clone().min(), dates.max());
    let open = placed
        .iter()
        .filter(|o| OPEN.contains(&o.status_id))
        .count();
    let mut attributes = BTreeMap::new();
    attributes.insert("orderCount".to_string(), placed.len().to_string());
    attributes.insert(
        "lifetimeValue".to_string(),
        Money::new(value, store.clone()).to_string(),
    );
    if let Some(d) = first {
        attributes.insert("firstOrderAt".to_string(), rfc3339(d));
    }
    if let Some(d) = last {
        attributes.insert("lastOrderAt".to_string(), rfc3339(d));
    }
    attributes.insert("openOrders".to_string(), open.to_string());
    OrderAttributes {
        attributes,
        left_out_of_value,
    }
}

/// `customerGroup`: the group's name; its id when the store's list does not have it; `None` for
/// no group (0), or when the list could not be read (Gladly then keeps the name it had, rather
/// than a rule reading an id where it expects a name).
pub fn customer_group(group_id: &str, names: Option<&HashMap<u64, String>>) -> Option<String> {
    let id: u64 = group_id.trim().parse().ok()?;
    if id == 0 {
        return None;
    }
    let names = names?;
    Some(
        names
            .get(&id)
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .map_or_else(|| id.to_string(), str::to_string),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(id: u64, status_id: u64, total: &str, refunded: &str, day: u32) -> Order {
        serde_json::from_value(json!({
            "id": id, "status_id": status_id, "total_inc_tax": total, "refunded_amount": refunded,
            "currency_code": "USD", "default_currency_code": "USD",
            "date_created": format!("2026-10-{day:02}T12:00:00Z"),
        }))
        .unwrap_or_default()
    }

    #[test]
    fn counts_and_sums_only_placed_orders_less_refunds() {
        let orders = [
            order(1, status::COMPLETED, "100.00", "25.00", 3),
            order(2, status::AWAITING_FULFILLMENT, "40.00", "0", 9),
            order(3, status::CANCELLED, "999.00", "0", 12),
            order(4, status::INCOMPLETE, "999.00", "0", 1),
            order(5, status::DECLINED, "999.00", "0", 20),
            order(6, status::REFUNDED, "30.00", "30.00", 5),
            order(7, status::DISPUTED, "10.005", "0", 7),
        ];
        let all: Vec<&Order> = orders.iter().collect();
        let got = order_attributes(&all, &Currency::usd());
        let a = &got.attributes;
        assert_eq!(a["orderCount"], "4");
        assert_eq!(a["lifetimeValue"], "$125.01");
        assert_eq!(a["firstOrderAt"], "2026-10-03T12:00:00Z");
        assert_eq!(a["lastOrderAt"], "2026-10-09T12:00:00Z");
        assert_eq!(a["openOrders"], "2", "awaiting fulfillment and disputed");
        assert_eq!(got.left_out_of_value, 0);
    }

    #[test]
    fn replacements_we_sent_are_not_orders_the_shopper_placed() {
        let placed = order(1, status::SHIPPED, "57.00", "0", 3);
        let mut sent = order(2, status::AWAITING_FULFILLMENT, "0.00", "0", 9);
        sent.external_source = crate::actions::replacement::EXTERNAL_SOURCE.into();
        let mut pos = order(3, status::AWAITING_FULFILLMENT, "10.00", "0", 10);
        pos.external_source = "POS (Square)".into();
        let got = order_attributes(&[&placed, &sent, &pos], &Currency::usd());
        let a = &got.attributes;
        assert_eq!(a["orderCount"], "2", "the replacement is not counted");
        assert_eq!(a["openOrders"], "1", "nor open: only the POS order is");
        assert_eq!(a["lastOrderAt"], "2026-10-10T12:00:00Z");
        assert_eq!(a["lifetimeValue"], "$67.00");
    }

    #[test]
    fn no_orders_is_a_new_shopper_with_no_dates() {
        let got = order_attributes(&[], &Currency::usd());
        assert_eq!(got.attributes["orderCount"], "0");
        assert_eq!(got.attributes["lifetimeValue"], "$0.00");
        assert!(!got.attributes.contains_key("firstOrderAt"));
    }

    #[test]
    fn other_currencies_go_through_their_own_rate_or_are_left_out() {
        let mut gbp = order(1, status::COMPLETED, "80.00", "0", 3);
        gbp.default_currency_code = "GBP".into();
        gbp.store_default_currency_code = "USD".into();
        gbp.store_default_to_transactional_exchange_rate = Decimal::new(8, 1);
        let mut no_rate = gbp.clone();
        no_rate.store_default_to_transactional_exchange_rate = Decimal::ZERO;
        let mut unreadable = order(2, status::COMPLETED, "50.00", "0", 4);
        unreadable.default_currency_code = "??".into();
        unreadable.currency_code = String::new();
        let mut other_default = gbp.clone();
        other_default.store_default_currency_code = "EUR".into();
        let usd = order(3, status::SHIPPED, "20.00", "0", 5);
        let all = [&gbp, &no_rate, &unreadable, &other_default, &usd];
        let got = order_attributes(&all, &Currency::usd());
        assert_eq!(
            got.attributes["lifetimeValue"], "$120.00",
            "£80 at 0.8 is $100"
        );
        assert_eq!(got.left_out_of_value, 3);
        assert_eq!(
            got.attributes["orderCount"], "5",
            "counted, only not summed"
        );
    }

    #[test]
    fn a_group_reads_as_its_name_else_its_id() {
        let names = HashMap::from([(1, "VIP".to_string()), (2, " ".to_string())]);
        assert_eq!(customer_group("1", Some(&names)).as_deref(), Some("VIP"));
        assert_eq!(customer_group("7", Some(&names)).as_deref(), Some("7"));
        assert_eq!(customer_group("2", Some(&names)).as_deref(), Some("2"));
        assert_eq!(customer_group("0", Some(&names)), None);
        assert_eq!(customer_group("", Some(&names)), None);
        assert_eq!(customer_group("1", None), None, "list unread: left out");
    }
}
