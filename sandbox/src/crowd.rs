//! A crowd of generated shoppers on top of a seed, for load benches (`make bench-quota`): each a
//! registered customer with one shipped order (a shipment with tracking) and one unshipped
//! order, their line items on the catalog's own products (so lookups fetch images).
//!
//! The crowd is built as seed JSON from the seed's own records: the first customer who has both
//! a shipped and an unshipped order is the template, so the records keep every field the seed
//! format has and parse with `parse_seed` like a file would. The seed's own records stay as
//! they are. Everything is deterministic: shopper `i` is the same in every run (ids follow the
//! seed's highest ones, emails are `shopper0001@crowd.example.com` onwards). Passing the crowd
//! in the seed costs no API call; 1,600 POSTs would spend the very quota a bench measures.

use crate::{parse_seed, SandboxError, Seed};
use serde_json::{json, Value};

/// More shoppers than any bench needs; the phone numbers stay unique up to here.
pub const MAX_SHOPPERS: usize = 10_000;

/// The email of shopper `i` (from 0).
pub fn email(i: usize) -> String {
    format!("shopper{:04}@crowd.example.com", i + 1)
}

#[derive(Debug, thiserror::Error)]
pub enum CrowdError {
    #[error("the seed is not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("the seed has no {0}")]
    Missing(&'static str),
    #[error("a crowd has 1 to {MAX_SHOPPERS} shoppers, not {0}")]
    Size(usize),
}

/// One generated shopper, as a bench needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shopper {
    pub customer_id: u64,
    pub email: String,
    pub shipped_order: u64,
    pub unshipped_order: u64,
}

#[derive(Debug, Clone)]
pub struct Crowd {
    /// The whole seed, the store's own records and the crowd, in the seed file's format.
    pub seed: Value,
    pub shoppers: Vec<Shopper>,
}

impl Crowd {
    /// The seed as the sandbox takes it, read the way a seed file is read.
    pub fn parse(&self) -> Result<Seed, SandboxError> {
        parse_seed(&self.seed.to_string())
    }
}

fn shipped(o: &Value) -> bool {
    o["status_id"] == 2 && o["shipments"].as_array().is_some_and(|s| !s.is_empty())
}

/// Pending, Awaiting Payment, Awaiting Shipment, Awaiting Fulfillment, with nothing shipped.
fn unshipped(o: &Value) -> bool {
    o["status_id"]
        .as_u64()
        .is_some_and(|s| [1, 7, 9, 11].contains(&s))
        && o["shipments"].as_array().is_none_or(|s| s.is_empty())
}

fn ids<'a>(records: impl Iterator<Item = &'a Value>) -> u64 {
    records.filter_map(|r| r["id"].as_u64()).max().unwrap_or(0)
}

/// `seed_text` (the seed file's JSON) with `n` generated shoppers added.
pub fn with_crowd(seed_text: &str, n: usize) -> Result<Crowd, CrowdError> {
    if n == 0 || n > MAX_SHOPPERS {
        return Err(CrowdError::Size(n));
    }
    let mut seed: Value = serde_json::from_str(seed_text)?;
    let customers = seed["customers"]
        .as_array()
        .ok_or(CrowdError::Missing("customers"))?;
    let orders = seed["orders"]
        .as_array()
        .ok_or(CrowdError::Missing("orders"))?;
    let products: Vec<(u64, Value)> = seed["products"]
        .as_array()
        .ok_or(CrowdError::Missing("products"))?
        .iter()
        .filter(|p| p["image"].is_string())
        .filter_map(|p| Some((p["id"].as_u64()?, p["price"].clone())))
        .collect();
    if products.is_empty() {
        return Err(CrowdError::Missing("product with an image"));
    }
    let of = |c: &Value, pick: fn(&Value) -> bool| {
        orders
            .iter()
            .find(|o| o["customer_id"] == c["id"] && pick(o))
            .cloned()
    };
    let (customer, shipped_tpl, unshipped_tpl) = customers
        .iter()
        .find_map(|c| Some((c.clone(), of(c, shipped)?, of(c, unshipped)?)))
        .ok_or(CrowdError::Missing(
            "customer with a shipped and an unshipped order",
        ))?;
    let first_customer = ids(customers.iter()) + 1;
    let first_order = ids(orders.iter()) + 1;
    let first_item = ids(orders
        .iter()
        .flat_map(|o| o["items"].as_array().into_iter().flatten()))
        + 1;
    let first_shipment = ids(orders
        .iter()
        .flat_map(|o| o["shipments"].as_array().into_iter().flatten()))
        + 1;

    let mut new_customers = Vec::with_capacity(n);
    let mut new_orders = Vec::with_capacity(2 * n);
    let mut shoppers = Vec::with_capacity(n);
    for i in 0..n {
        let idx = i as u64;
        let customer_id = first_customer + idx;
        let email = email(i);
        let (first, last) = ("Crowd".to_string(), format!("Shopper {:04}", i + 1));
        // 555-01xx numbers are the seed's own; the crowd's area code is another.
        let phone = format!("+1 737 555 {:04}", i);
        let named = |mut v: Value| {
            v["first_name"] = json!(first);
            v["last_name"] = json!(last);
            v["phone"] = json!(phone);
            v["company"] = json!("");
            v
        };

        let mut c = named(customer.clone());
        c["id"] = json!(customer_id);
        c["email"] = json!(email);
        c["notes"] = json!("");
        c["store_credit"] = json!("0");
        if let Some(addresses) = c["addresses"].as_array_mut() {
            for a in addresses.iter_mut() {
                *a = named(a.take());
            }
        }
        new_customers.push(c);

        let mut ids = [0u64; 2];
        for (k, template) in [&shipped_tpl, &unshipped_tpl].into_iter().enumerate() {
            let order_id = first_order + 2 * idx + k as u64;
            ids[k] = order_id;
            let items: Vec<Value> = (0..2usize)
                .map(|j| {
                    let (product_id, price) = &products[(2 * i + 2 * k + j) % products.len()];
                    json!({
                        "id": first_item + 4 * idx + 2 * k as u64 + j as u64,
                        "product_id": product_id,
                        "quantity": 1 + (i + j) % 3,
                        "price": price,
                        "quantity_refunded": 0,
                    })
                })
                .collect();
            let mut o = template.clone();
            o["id"] = json!(order_id);
            o["customer_id"] = json!(customer_id);
            o["coupons"] = json!([]);
            o["discount_amount"] = json!("0");
            o["refunds"] = json!([]);
            o["staff_notes"] = json!("");
            o["customer_message"] = json!("");
            for address in ["billing_address", "shipping_address"] {
                if o[address].is_object() {
                    let mut a = named(o[address].take());
                    a["email"] = json!(email);
                    o[address] = a;
                }
            }
            o["shipments"] = if k == 0 {
                let mut s = template["shipments"][0].clone();
                s["id"] = json!(first_shipment + idx);
                s["tracking_number"] = json!(format!("{:012}", 700_000_000_000 + idx));
                s["tracking_link"] = json!(format!("https://track.example-shop.com/{order_id}/0"));
                s["items"] = items
                    .iter()
                    .map(|it| json!({"order_product_id": it["id"], "quantity": it["quantity"]}))
                    .collect();
                json!([s])
            } else {
                json!([])
            };
            o["items"] = json!(items);
            new_orders.push(o);
        }
        shoppers.push(Shopper {
            customer_id,
            email,
            shipped_order: ids[0],
            unshipped_order: ids[1],
        });
    }
    if let Some(list) = seed["customers"].as_array_mut() {
        list.extend(new_customers);
    }
    if let Some(list) = seed["orders"].as_array_mut() {
        list.extend(new_orders);
    }
    Ok(Crowd { seed, shoppers })
}
