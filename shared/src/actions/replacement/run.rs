//! Sending the replacement at BigCommerce: one new order (`POST /v2/orders`) whose staff notes
//! lead with the request's marker, then a line on the original naming it. Before creating, the
//! shopper's orders made since the original are searched for the marker, so a retry, a second
//! agent on the same form or a create that landed after we gave up never makes a second order;
//! a create that may have landed is answered uncertain, and settled by that search.

use super::form::item_label;
use super::input::{self, ReplacementInput};
use super::policy::{self, FOR, SENT};
use super::EXTERNAL_SOURCE;
use crate::actions::action::Job;
use crate::actions::engine::{Looked, Outcome};
use crate::actions::fields::Fields;
use crate::actions::ledger::Ledger;
use crate::actions::order::status;
use crate::actions::outcomes::{append_audit, marker, not_confirmed, unavailable, write_failed};
use crate::actions::reasons::Reasons;
use crate::bigcommerce::models::{BillingAddress, Order, OrderProduct};
use crate::bigcommerce::requests::{
    AddressPut, OrderAddress, OrderOptionPost, OrderPost, OrderProductPost, OrderPut,
};
use crate::bigcommerce::{BcError, OrdersSince, StoreActions};
use crate::ids::{OrderId, RequestId};
use rust_decimal::Decimal;

/// Pages of 250 orders searched for our own: a shopper with more orders than that since the
/// original leaves the search unfinished, and an unfinished search never counts as "none".
const PAGES: u32 = 4;
const PAGE: usize = 250;

/// What the shopper's orders made since the original hold of the adaptor's replacements of it.
#[derive(Debug, Default)]
pub struct Made {
    /// The one this request made.
    pub ours: Option<Order>,
    /// Others, newest first.
    pub others: Vec<OrderId>,
    /// Every page was read.
    pub complete: bool,
}

/// Searches the shopper's orders (a guest's by billing email, customer id 0) made since the
/// original: a replacement is always made after the order it replaces. `id`: the request whose
/// own order is `ours` (none for a form, which only lists them).
pub async fn made_since<S: StoreActions>(
    store: &S,
    o: &Order,
    id: Option<&RequestId>,
) -> Result<Made, BcError> {
    let guest = o.customer_id.is_none();
    let email = o.billing_address.email.trim();
    let q = |page| OrdersSince {
        customer_id: o.customer_id.map_or(0, |c| c.0),
        email: (guest && !email.is_empty()).then(|| email.to_string()),
        since: o.date_created.unwrap_or(chrono::DateTime::UNIX_EPOCH),
        page,
    };
    let m = id.map(marker);
    let mut made = Made::default();
    for page in 1..=PAGES {
        let list = store.orders_since(&q(page)).await?;
        let last = list.len() < PAGE;
        for r in list
            .into_iter()
            .filter(|r| policy::replaces(r) == Some(o.id))
        {
            if m.as_ref().is_some_and(|m| r.staff_notes.contains(m)) {
                made.ours = Some(r);
            } else {
                made.others.push(r.id);
            }
        }
        if last {
            made.complete = true;
            break;
        }
    }
    Ok(made)
}

pub fn order_link(store_hash: Option<String>, id: OrderId) -> String {
    match store_hash {
        Some(h) => format!(" Open it: {}.", crate::mapping::order::order_link(&h, id)),
        None => String::new(),
    }
}

/// The answer once the replacement exists.
fn sent(o: &Order, new: &Order, store_hash: Option<String>) -> Outcome {
    let mut detail = format!(
        "{} item(s) at no charge, Awaiting Fulfillment, to order #{}'s shipping address.{}",
        new.items_total,
        o.id,
        order_link(store_hash, new.id)
    );
    let (asked, made) = (o.currency(), new.currency());
    if !made.is_empty() && !asked.is_empty() && !made.eq_ignore_ascii_case(asked) {
        detail.push_str(&format!(
            " It is in {made}, the store's default currency: the shopper paid in {asked}, and the store does not take {asked} for orders made through the API."
        ));
    }
    detail
        .push_str(" BigCommerce emails the shopper nothing about it: tell them it is on its way.");
    Outcome::done(
        format!("Replacement order #{} sent for order #{}", new.id, o.id),
        detail,
    )
}

/// The reason's words, from the body as sent (for the audit lines).
fn reason_text(body: &[u8], reasons: &Reasons) -> String {
    Fields::parse(body)
        .ok()
        .and_then(|f| reasons.read(&f).ok())
        .map(|r| r.text)
        .unwrap_or_else(|| "not given".into())
}

/// The line on the original naming the replacement, once; then the answer. The replacement is
/// made: a note that fails is a partial answer that a resubmit of the same form finishes.
async fn noted<S: StoreActions>(
    store: &S,
    o: &Order,
    new: &Order,
    request: &RequestId,
    reason: &str,
) -> Outcome {
    let answer = sent(o, new, store.store_hash());
    if o.staff_notes.contains(&marker(request)) {
        return answer;
    }
    let put = OrderPut {
        status_id: None,
        staff_notes: Some(append_audit(
            &o.staff_notes,
            request,
            &format!("{SENT}{} sent via Gladly. Reason: {reason}.", new.id),
        )),
    };
    match (store.update_order(o.id, &put).await, answer) {
        (Ok(()), answer) => answer,
        (Err(e), Outcome::Done { message, .. }) => Outcome::Partial {
            message,
            detail: format!(
                "The order was made, but the line naming it in order #{}'s staff notes was not written ({e}). Submit this same form again to write it: it never makes a second order.",
                o.id
            ),
        },
        (Err(_), other) => other,
    }
}

fn address(a: &BillingAddress, email: &str) -> OrderAddress {
    OrderAddress {
        address: AddressPut {
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            company: a.company.clone(),
            street_1: a.street_1.clone(),
            street_2: a.street_2.clone(),
            city: a.city.clone(),
            state: a.state.clone(),
            zip: a.zip.clone(),
            country: a.country.clone(),
            country_iso2: a.country_iso2.clone(),
            phone: a.phone.clone(),
        },
        email: if a.email.trim().is_empty() {
            email.to_string()
        } else {
            a.email.clone()
        },
    }
}

fn product(p: &OrderProduct, quantity: u64) -> OrderProductPost {
    if p.product_id.0 == 0 {
        return OrderProductPost::Custom {
            name: p.name.clone(),
            quantity,
            price_inc_tax: Decimal::ZERO,
            price_ex_tax: Decimal::ZERO,
        };
    }
    OrderProductPost::Catalog {
        product_id: p.product_id.0,
        variant_id: (p.variant_id > 0).then_some(p.variant_id),
        quantity,
        price_inc_tax: Decimal::ZERO,
        price_ex_tax: Decimal::ZERO,
        product_options: p
            .product_options
            .iter()
            .map(|x| OrderOptionPost {
                id: x.product_option_id,
                value: x.value.clone(),
            })
            .collect(),
    }
}

/// The new order: the same shopper, storefront, currency, address, products, variants and
/// options, at no charge, marked as ours.
pub fn order_post(
    o: &Order,
    to: &BillingAddress,
    lines: &[(&OrderProduct, u64)],
    staff_notes: String,
) -> OrderPost {
    let email = o.billing_address.email.as_str();
    let currency = o.currency();
    OrderPost {
        customer_id: o.customer_id.map_or(0, |c| c.0),
        channel_id: o.channel_id.max(1),
        status_id: status::AWAITING_FULFILLMENT,
        default_currency_code: (!currency.is_empty()).then(|| currency.to_string()),
        billing_address: address(&o.billing_address, email),
        shipping_addresses: vec![address(to, email)],
        products: lines.iter().map(|(p, q)| product(p, *q)).collect(),
        external_source: EXTERNAL_SOURCE.to_string(),
        staff_notes,
    }
}

/// The items BigCommerce's refusal names (`product <id>` in its details).
fn refused_items(message: &str, lines: &[(&OrderProduct, u64)]) -> Vec<String> {
    let named: Vec<u64> = message
        .match_indices("product ")
        .filter_map(|(i, m)| {
            let digits: String = message[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect();
    lines
        .iter()
        .filter(|(p, _)| named.contains(&p.product_id.0))
        .map(|(p, _)| item_label(p))
        .collect()
}

fn refused_by_bigcommerce(message: &str, lines: &[(&OrderProduct, u64)]) -> Outcome {
    let names = refused_items(message, lines);
    let which = if names.is_empty() {
        "these items".to_string()
    } else {
        names.join(", ")
    };
    Outcome::refused(
        format!("BigCommerce would not make a replacement of {which}: {message}. Nothing was created."),
        "The product may be deleted, not for sale or out of stock: send other items, or offer a refund or store credit instead.",
    )
}

/// `POST /orders/{id}/replacement/{requestId}` once claimed, under the order's lease.
pub async fn send<S: StoreActions, L: Ledger>(
    job: Job<'_, S, L>,
    order: OrderId,
    body: &[u8],
) -> Outcome {
    let (store, request) = (job.store, job.request);
    let settle = job.attempt.settles();
    let o = match store.order(order).await {
        Ok(Some(o)) => o,
        Ok(None) => return Outcome::refused(
            format!("Order #{order} does not exist."),
            "Nothing was created. Look the shopper up again: the order may have been deleted or merged.",
        ),
        Err(e) if settle => return not_confirmed(&e, "whether the earlier attempt made the replacement"),
        Err(e) => return unavailable(&e),
    };
    let made = match made_since(store, &o, Some(request)).await {
        Ok(m) => m,
        Err(e) if settle => {
            return not_confirmed(&e, "whether the earlier attempt made the replacement")
        }
        Err(e) => return unavailable(&e),
    };
    let reasons = input::reasons(job.rails);
    if let Some(new) = &made.ours {
        // Made earlier: the line on the original is finished if it is missing, its reason read
        // from the body as sent.
        return noted(store, &o, new, request, &reason_text(body, &reasons)).await;
    }
    if settle && !made.complete {
        return Outcome::uncertain(
            format!("The shopper has too many orders since order #{order} to check whether the earlier attempt made the replacement."),
            "Nothing more was sent. Look for a replacement of this order in the BigCommerce control panel before sending one there.",
        );
    }
    if let Err(why) = policy::replacement_allowed(&o) {
        return Outcome::refused(why, "Nothing was created.");
    }
    let req: ReplacementInput = match input::parse(body, &o, &reasons) {
        Ok(r) => r,
        Err(errors) => return Outcome::invalid(errors),
    };
    let lines = req.lines(&o);
    let value: Decimal = lines
        .iter()
        .map(|(p, q)| p.price_inc_tax * Decimal::from(*q))
        .sum();
    if let Err(why) = policy::within_ceiling(value, &o, job.rails) {
        return Outcome::refused(
            why,
            "Nothing was created. A manager can raise max_replacement_value in the store secret, or send it from the BigCommerce control panel.",
        );
    }
    let first = policy::named_in_notes(&o)
        .into_iter()
        .chain(made.others.iter().rev().copied())
        .next();
    match (first, req.another) {
        (Some(first), false) => {
            return Outcome::refused(
                format!("Order #{order} already had a replacement: order #{first}."),
                "Nothing was created. Tick \"Send another\" to send one more.",
            )
        }
        // A replacement whose line on the original was never written is found only by the
        // search: one that could not read every page cannot rule it out.
        (None, false) if !made.complete => {
            return Outcome::refused(
                format!("The shopper has too many orders since order #{order} to check whether it already had a replacement."),
                "Nothing was created. Look for one in the BigCommerce control panel; if there is none, tick \"Send another\" to send it.",
            )
        }
        _ => {}
    }
    let to = match store.shipping_addresses(order).await {
        Ok(list) => list.into_iter().next(),
        Err(e) => return unavailable(&e),
    };
    let Some(to) = to else {
        return Outcome::refused(
            format!("Order #{order} has no shipping address to send a replacement to."),
            "Nothing was created.",
        );
    };
    let mut what = format!("{FOR}{order} via Gladly. Reason: {}.", req.reason.text);
    if !req.note.is_empty() {
        what.push_str(&format!(" Note: {}", req.note));
    }
    let post = order_post(&o, &to.address, &lines, append_audit("", request, &what));
    crate::telemetry::reason(&req.reason.text);
    match store.create_order(&post).await {
        Ok(new) => noted(store, &o, &new, request, &req.reason.text).await,
        Err(e) => write_failed(&e, "the replacement order", |message| {
            refused_by_bigcommerce(message, &lines)
        }),
    }
}

/// What replacement request `id` did, changing nothing: the order it made, by its marker.
pub async fn look<S: StoreActions>(store: &S, order: OrderId, id: &RequestId) -> Looked {
    let o = match store.order(order).await {
        Ok(Some(o)) => o,
        Ok(None) => return Looked::Unknown(format!("order #{order} cannot be read")),
        Err(e) => return Looked::Unknown(e.to_string()),
    };
    match made_since(store, &o, Some(id)).await {
        Ok(Made {
            ours: Some(new), ..
        }) => Looked::Found(sent(&o, &new, store.store_hash())),
        Ok(Made { complete: true, .. }) => Looked::NotFound,
        Ok(_) => Looked::Unknown("too many orders since the original to search".into()),
        Err(e) => Looked::Unknown(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order() -> Order {
        serde_json::from_value(json!({
            "id": 160, "customer_id": 0, "status_id": 2, "items_shipped": 3, "channel_id": 2,
            "currency_code": "GBP", "default_currency_code": "GBP",
            "billing_address": {"first_name": "Oli", "zip": "SW1A 1AA", "email": "o@example.co.uk"},
            "consignments": {"shipping": [{"id": 71, "line_items": [
                {"id": 1083, "product_id": 101, "variant_id": 1011, "name": "Mug", "quantity": 2, "price_inc_tax": "12.00",
                 "product_options": [{"product_option_id": 120, "value": "44", "display_name": "Colour", "display_value": "Blue"}]},
                {"id": 1084, "product_id": 0, "name": "Engraving", "quantity": 1, "price_inc_tax": "5.00"}
            ]}]}
        }))
        .unwrap_or_default()
    }

    #[test]
    fn the_new_order_is_the_same_shopper_storefront_currency_and_products_at_no_charge() {
        let o = order();
        let to = BillingAddress {
            street_1: "1 Dock Rd".into(),
            zip: "E1 1AA".into(),
            ..BillingAddress::default()
        };
        let lines: Vec<(&OrderProduct, u64)> = o.line_items().iter().map(|p| (p, 1)).collect();
        let post = order_post(&o, &to, &lines, "[gladly:ab] n".into());
        let v = serde_json::to_value(&post).unwrap_or_default();
        assert_eq!(v["customer_id"], 0, "a guest's order stays a guest's");
        assert_eq!(v["billing_address"]["email"], "o@example.co.uk");
        assert_eq!(v["shipping_addresses"][0]["email"], "o@example.co.uk");
        assert_eq!(v["shipping_addresses"][0]["street_1"], "1 Dock Rd");
        assert_eq!((&v["channel_id"], &v["status_id"]), (&json!(2), &json!(11)));
        assert_eq!(v["default_currency_code"], "GBP");
        assert_eq!(v["external_source"], EXTERNAL_SOURCE);
        assert_eq!(
            v["products"],
            json!([
                {"product_id": 101, "variant_id": 1011, "quantity": 1, "price_inc_tax": 0.0,
                 "price_ex_tax": 0.0, "product_options": [{"id": 120, "value": "44"}]},
                {"name": "Engraving", "quantity": 1, "price_inc_tax": 0.0, "price_ex_tax": 0.0}
            ])
        );
    }

    #[test]
    fn a_refusal_names_the_item_it_is_about() {
        let o = order();
        let lines: Vec<(&OrderProduct, u64)> = o.line_items().iter().map(|p| (p, 1)).collect();
        assert_eq!(
            refused_items("Out of stock. (OutOfStock: product 101)", &lines),
            vec!["Mug (Colour: Blue)".to_string()]
        );
        assert!(refused_items("Out of stock. (OutOfStock: product 1011)", &lines).is_empty());
        match refused_by_bigcommerce("No. (ProductUnavailable: product 101)", &lines) {
            Outcome::Refused { message, .. } => {
                assert!(
                    message.contains("Mug (Colour: Blue)")
                        && message.contains("Nothing was created"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
