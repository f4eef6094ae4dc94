//! Customer profiles: registered customers from their account, guests from their orders.

use super::{join_parts, phone, rfc3339};
use crate::bigcommerce::models::{BillingAddress, Customer, Order};
use crate::gladly::{Email, Phone, Profile};
use crate::ids::ShopperId;
use crate::money::{Currency, Money};
use crate::storefront::StoreFacts;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// E.164 where the number is a valid one (see `phone::Reading` for the country it is read in),
/// else as typed; the same line once.
fn phones(raw: impl IntoIterator<Item = String>, reading: &phone::Reading) -> Vec<Phone> {
    let mut out: Vec<Phone> = Vec::new();
    for p in raw {
        if phone::digits(&p).len() < 7 {
            continue;
        }
        let original = reading
            .e164(&p)
            .or_else(|| reading.names_asked(&p).map(|a| a.e164().to_string()))
            .unwrap_or_else(|| p.trim().to_string());
        if !out
            .iter()
            .any(|x| phone::same_number(&x.original, &original, reading.home()))
        {
            // Gladly links by phone only on MOBILE numbers; a shop's one phone field is the
            // shopper's own number as far as anyone knows.
            out.push(Phone {
                original,
                kind: "MOBILE",
            });
        }
    }
    out
}

fn full_name(first: &str, last: &str) -> Option<String> {
    let n = join_parts([first, last]).replace(", ", " ");
    (!n.is_empty()).then_some(n)
}

/// How a registered shopper's numbers are read: their address countries, then the store's.
pub fn reading<'a>(
    c: &Customer,
    asked: &'a [phone::Asked],
    facts: &StoreFacts,
) -> phone::Reading<'a> {
    phone::Reading::new(
        asked,
        c.addresses.iter().map(|a| a.country_code.as_str()),
        facts.phone_region,
    )
}

/// The storefronts a customer may buy on, by name, when the store has more than one.
fn storefront_names(c: &Customer, facts: &StoreFacts) -> Option<String> {
    if !facts.multi_storefront() {
        return None;
    }
    let ids: Vec<u64> = if c.channel_ids.is_empty() {
        vec![c.origin_channel_id]
    } else {
        c.channel_ids.clone()
    };
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| facts.storefront(*id))
        .map(|s| s.name.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// Registered customer. `latest_order` (newest first) supplies the marketing opt-in, which the
/// customer record does not carry; `facts` the store's currency, country and storefronts;
/// `asked` the numbers Gladly asked for, if any.
pub fn registered(
    c: &Customer,
    latest_order: Option<&Order>,
    facts: &StoreFacts,
    asked: &[phone::Asked],
) -> Profile {
    let mut attrs = BTreeMap::new();
    if let Some(d) = c.date_created {
        attrs.insert("createdAt".to_string(), rfc3339(d));
    }
    if let Some(o) = latest_order {
        attrs.insert(
            "acceptsMarketing".to_string(),
            o.is_email_opt_in.to_string(),
        );
    }
    attrs.insert("customerGroupId".to_string(), c.customer_group_id.clone());
    attrs.insert("notes".to_string(), c.notes.clone());
    attrs.insert("company".to_string(), c.company.clone());
    let credit: Decimal = c.store_credit_amounts.iter().map(|s| s.amount).sum();
    // Store credit is kept in the store's default currency.
    let currency = latest_order
        .map(|o| o.store_default_currency_code.as_str())
        .and_then(Currency::new)
        .unwrap_or_else(|| facts.currency.clone());
    if let Some(names) = storefront_names(c, facts) {
        attrs.insert("storefronts".to_string(), names);
    }
    attrs.insert(
        "storeCreditAmount".to_string(),
        Money::new(credit, currency).to_string(),
    );

    let address = c.addresses.first().map(|a| {
        let state_zip =
            join_parts([a.state_or_province.as_str(), a.postal_code.as_str()]).replace(", ", " ");
        join_parts([
            a.address1.as_str(),
            a.address2.as_str(),
            a.city.as_str(),
            state_zip.as_str(),
            a.country.as_str(),
        ])
    });
    // Only the customer record's own number is the shopper's. The numbers saved on the
    // addresses of their address book are left out, not sent as HOME or OFFICE: they are often
    // someone else's (a gift recipient, an office front desk), Gladly keeps every number it is
    // sent on the profile whatever its type, and Gladly's own BigCommerce integration does not
    // sync them either. Each one still shows on the order card whose address it belongs to.
    let phone_list = [c.phone.clone()];
    Profile {
        external_customer_id: ShopperId::Registered(c.id).to_string(),
        name: full_name(&c.first_name, &c.last_name),
        address: address.filter(|a| !a.is_empty()),
        emails: if c.email.trim().is_empty() {
            vec![]
        } else {
            vec![Email {
                original: c.email.trim().to_string(),
            }]
        },
        phones: phones(phone_list, &reading(c, asked, facts)),
        custom_attributes: attrs,
        transactions: None,
        actions: None,
    }
}

/// One-line address of an order's billing address.
pub fn billing_line(b: &BillingAddress) -> String {
    let state_zip = join_parts([b.state.as_str(), b.zip.as_str()]).replace(", ", " ");
    join_parts([
        b.street_1.as_str(),
        b.street_2.as_str(),
        b.city.as_str(),
        state_zip.as_str(),
        b.country.as_str(),
    ])
}

/// A guest shopper, known only by the billing details of their newest order.
pub fn guest(email: &str, newest: &Order, facts: &StoreFacts, asked: &[phone::Asked]) -> Profile {
    let b = &newest.billing_address;
    let mut attrs = BTreeMap::new();
    attrs.insert(
        "accountType".to_string(),
        "Guest checkout (no account)".to_string(),
    );
    attrs.insert(
        "acceptsMarketing".to_string(),
        newest.is_email_opt_in.to_string(),
    );
    attrs.insert("company".to_string(), b.company.clone());
    let line = billing_line(b);
    Profile {
        external_customer_id: ShopperId::Guest(super::email::normal_email(email)).to_string(),
        name: full_name(&b.first_name, &b.last_name),
        address: (!line.is_empty()).then_some(line),
        emails: vec![Email {
            original: super::email::normal_email(email),
        }],
        phones: phones(
            [b.phone.clone()],
            &phone::Reading::new(asked, [b.country_iso2.as_str()], facts.phone_region),
        ),
        custom_attributes: attrs,
        transactions: None,
        actions: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigcommerce::models::{CustomerAddress, StoreCredit};
    use rust_decimal_macros::dec;

    fn jane() -> Customer {
        Customer {
            id: crate::ids::CustomerId(1),
            email: "jane.doe@example.com".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            phone: "(512) 555-0100".into(),
            notes: "VIP".into(),
            customer_group_id: "0".into(),
            date_created: crate::bigcommerce::de::parse_date("2025-09-20T12:00:00Z"),
            addresses: vec![CustomerAddress {
                address1: "1 Main St".into(),
                address2: "Apt 4".into(),
                city: "Austin".into(),
                state_or_province: "Texas".into(),
                postal_code: "78701".into(),
                country: "United States".into(),
                country_code: "US".into(),
                phone: "512-555-0100".into(),
            }],
            store_credit_amounts: vec![StoreCredit { amount: dec!(12.5) }],
            ..Customer::default()
        }
    }

    #[test]
    fn registered_profile_has_every_attribute_as_strings() {
        let p = registered(&jane(), None, &StoreFacts::default(), &[]);
        assert_eq!(p.external_customer_id, "1");
        assert_eq!(p.name.as_deref(), Some("Jane Doe"));
        assert_eq!(
            p.address.as_deref(),
            Some("1 Main St, Apt 4, Austin, Texas 78701, United States")
        );
        assert_eq!(
            p.emails,
            vec![Email {
                original: "jane.doe@example.com".into()
            }]
        );
        assert_eq!(
            p.phones,
            vec![Phone {
                original: "+15125550100".into(),
                kind: "MOBILE"
            }],
            "one number, E.164, deduplicated"
        );
        let a = &p.custom_attributes;
        assert_eq!(a["createdAt"], "2025-09-20T12:00:00Z");
        assert_eq!(a["storeCreditAmount"], "$12.50");
        assert_eq!(a["customerGroupId"], "0");
        assert_eq!(a["notes"], "VIP");
        assert_eq!(a["company"], "");
        assert!(
            !a.contains_key("acceptsMarketing"),
            "unknown without an order: Gladly keeps its value"
        );
        let json = serde_json::to_value(&p).unwrap();
        assert!(json["customAttributes"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v.is_string()));
        assert!(json.get("transactions").is_none());
    }

    #[test]
    fn unparseable_phones_are_kept_as_typed_and_junk_dropped() {
        let mut c = jane();
        c.phone = "+44 20 7946 0958".into();
        c.addresses[0].phone = "n/a".into();
        let p = registered(&c, None, &StoreFacts::default(), &[]);
        assert_eq!(
            p.phones
                .iter()
                .map(|x| x.original.as_str())
                .collect::<Vec<_>>(),
            vec!["+442079460958"]
        );
        c.phone = "020 7946 0958".into();
        assert_eq!(
            registered(&c, None, &StoreFacts::default(), &[]).phones[0].original,
            "020 7946 0958"
        );
    }
}
