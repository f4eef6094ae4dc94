//! Orders to Gladly ORDER cards.

use super::{join_parts, rfc3339, MapContext};
use crate::bigcommerce::models::{BillingAddress, Order, OrderProduct, Shipment};
use crate::gladly::{Action, CardAddress, CardProduct, Fulfillment, OrderCard};
use crate::ids::ShopperId;
use crate::money::{Currency, Money};

fn money(amount: rust_decimal::Decimal, currency: &Currency) -> String {
    Money::new(amount, currency.clone()).to_string()
}

fn address(b: &BillingAddress) -> CardAddress {
    CardAddress {
        name: join_parts([b.first_name.as_str(), b.last_name.as_str()]).replace(", ", " "),
        phone: b.phone.clone(),
        street1: b.street_1.clone(),
        street2: b.street_2.clone(),
        city: b.city.clone(),
        state: b.state.clone(),
        country: b.country.clone(),
        zip: b.zip.clone(),
    }
}

fn item_status(p: &OrderProduct) -> &'static str {
    if p.is_refunded || (p.quantity > 0 && p.quantity_refunded >= p.quantity) {
        "Refunded"
    } else if p.quantity_refunded > 0 {
        "Partially refunded"
    } else {
        "Purchased"
    }
}

fn fulfillment_status(p: &OrderProduct) -> &'static str {
    if p.quantity > 0 && p.quantity_shipped >= p.quantity {
        "Shipped"
    } else if p.quantity_shipped > 0 {
        "Partially shipped"
    } else {
        "Unfulfilled"
    }
}

/// The merchant's own tracking link when set, else the carrier's.
fn tracking_url(s: &Shipment) -> Option<String> {
    [&s.tracking_link, &s.generated_tracking_link]
        .into_iter()
        .map(|u| u.trim())
        .find(|u| u.starts_with("http://") || u.starts_with("https://"))
        .map(String::from)
}

fn fulfillment(s: &Shipment) -> Fulfillment {
    let carrier = [
        &s.shipping_provider_display_name,
        &s.tracking_carrier,
        &s.shipping_provider,
    ]
    .into_iter()
    .find(|c| !c.trim().is_empty())
    .cloned()
    .unwrap_or_default();
    Fulfillment {
        id: s.id.to_string(),
        tracking_number: s.tracking_number.clone(),
        tracking_url: tracking_url(s),
        carrier,
        shipping_speed: s.shipping_method.clone(),
        status: "Shipped".to_string(),
        created_at: s.date_created.map(rfc3339),
        product_ids: s
            .items
            .iter()
            .map(|i| i.order_product_id.to_string())
            .collect(),
        shipping_address: address(&s.shipping_address),
    }
}

/// What a guest order's card says on a registered shopper's profile.
pub const GUEST_CHECKOUT_NOTE: &str =
    "Guest checkout: placed without signing in, with this account's email.";

/// A guest order's card shown on a registered shopper's profile: it belongs to that profile,
/// and says it was a guest checkout.
/// The order in the store's control panel.
pub fn order_link(store_hash: &str, id: crate::ids::OrderId) -> String {
    format!("https://store-{store_hash}.mybigcommerce.com/manage/orders/{id}")
}

pub fn on_account_card(card: &mut OrderCard, profile_id: &str) {
    card.external_customer_id = profile_id.to_string();
    card.note = if card.note.is_empty() {
        GUEST_CHECKOUT_NOTE.to_string()
    } else {
        format!("{GUEST_CHECKOUT_NOTE}\n{}", card.note)
    };
}

/// One ORDER card. `shipments` is `None` when they were not fetched (nothing shipped, or the
/// call failed); the card then has no fulfillments.
pub fn card(
    o: &Order,
    shipments: Option<&[Shipment]>,
    ctx: &MapContext<'_>,
    actions: Vec<Action>,
) -> OrderCard {
    let currency = Currency::new(o.currency()).unwrap_or_else(Currency::usd);
    let fulfillments: Vec<Fulfillment> = shipments
        .unwrap_or_default()
        .iter()
        .map(fulfillment)
        .collect();
    let first = fulfillments
        .iter()
        .find(|f| !f.tracking_number.trim().is_empty());
    let shopper = match o.customer_id {
        None => ShopperId::Guest(super::email::normal_email(&o.billing_address.email)),
        Some(c) => ShopperId::Registered(c),
    };
    let status = if o.custom_status.trim().is_empty() {
        o.status.clone()
    } else {
        o.custom_status.clone()
    };
    // Multi-Storefront: the order's own storefront names the card and hosts the shopper's link.
    let storefront = ctx
        .facts
        .storefront(o.channel_id)
        .filter(|_| ctx.facts.multi_storefront());
    // With several storefronts, the order's own site; with one, the secret's `storefront_url`
    // (a headless shop's real address) before the site BigCommerce knows.
    let channel_site = ctx
        .facts
        .storefront(o.channel_id)
        .and_then(|s| s.url.as_ref());
    let site = if ctx.facts.multi_storefront() {
        channel_site.or(ctx.storefront_url)
    } else {
        ctx.storefront_url.or(channel_site)
    };
    let mut note = Vec::new();
    if let Some(s) = storefront.filter(|s| !s.name.is_empty()) {
        note.push(format!("Storefront: {}", s.name));
    }
    if let Some(display) = o.display_currency() {
        note.push(format!(
            "Prices were shown to the shopper in {display}; the shopper paid in {}, the currency of every amount here.",
            currency.code()
        ));
    }
    let message = o.customer_message.trim();
    if !message.is_empty() {
        note.push(message.to_string());
    }
    OrderCard {
        kind: "ORDER",
        external_customer_id: shopper.to_string(),
        order_number: o.id.to_string(),
        created_at: o.date_created.map(rfc3339),
        order_status: status,
        status_id: o.status_id.to_string(),
        order_link: order_link(ctx.store_hash, o.id),
        customer_order_url: site
            .filter(|_| o.customer_id.is_some())
            .and_then(|u| {
                u.join(&format!("account.php?action=view_order&order_id={}", o.id))
                    .ok()
            })
            .map(String::from),
        order_total: money(o.total_inc_tax, &currency),
        currency_code: currency.code().to_string(),
        discount: money(o.discount_amount + o.coupon_discount, &currency),
        item_count: o.items_total,
        note: note.join("\n"),
        storefront: storefront.map(|s| s.name.clone()).filter(|n| !n.is_empty()),
        display_currency_code: o.display_currency().map(String::from),
        products: o
            .line_items()
            .iter()
            .map(|p| CardProduct {
                id: p.id.to_string(),
                name: p.name.clone(),
                status: item_status(p).to_string(),
                fulfillment_status: fulfillment_status(p).to_string(),
                sku: p.sku.clone(),
                image_url: ctx.images.get(&p.product_id.0).cloned(),
                quantity: p.quantity,
                unit_price: money(p.price_inc_tax, &currency),
            })
            .collect(),
        first_tracking_number: first.map(|f| f.tracking_number.clone()),
        first_tracking_url: first.and_then(|f| f.tracking_url.clone()),
        fulfillments,
        billing_address: address(&o.billing_address),
        actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigcommerce::models::ShipmentItem;
    use serde_json::json;
    use std::collections::HashMap;

    fn order() -> Order {
        serde_json::from_value(json!({
            "id": 103, "customer_id": 1, "date_created": "Mon, 16 Nov 2026 05:12:00 +0000",
            "status_id": 3, "status": "Partially Shipped", "custom_status": "Partially Shipped",
            "total_inc_tax": "172.9500", "discount_amount": "2.0000", "coupon_discount": "5.7000",
            "currency_code": "USD", "items_total": 4, "items_shipped": 3,
            "customer_message": "Leave at the door",
            "billing_address": {"first_name": "Jane", "last_name": "Doe", "street_1": "1 Main St", "city": "Austin",
                                "state": "Texas", "zip": "78701", "country": "United States", "phone": "(512) 555-0100",
                                "email": "jane.doe@example.com"},
            "consignments": {"shipping": [{"line_items": [
                {"id": 1005, "product_id": 101, "name": "Ceramic Mug", "sku": "MUG", "quantity": 2, "quantity_shipped": 2, "price_inc_tax": "14.0000"},
                {"id": 1006, "product_id": 106, "name": "Board", "sku": "BRD", "quantity": 1, "quantity_shipped": 1, "quantity_refunded": 1, "is_refunded": true, "price_inc_tax": "48.0000"},
                {"id": 1007, "product_id": 107, "name": "Knife", "sku": "KNF", "quantity": 1, "quantity_shipped": 0, "price_inc_tax": "89.0000"}
            ]}]}
        }))
        .unwrap()
    }

    fn shipments() -> Vec<Shipment> {
        vec![
            Shipment {
                id: 501,
                tracking_number: "1Z999".into(),
                tracking_carrier: "ups".into(),
                shipping_provider_display_name: "UPS".into(),
                generated_tracking_link: "https://www.ups.com/track?tracknum=1Z999".into(),
                shipping_method: "UPS Ground".into(),
                items: vec![ShipmentItem {
                    order_product_id: 1005,
                    quantity: 2,
                }],
                ..Shipment::default()
            },
            Shipment {
                id: 502,
                tracking_number: "77".into(),
                tracking_link: "https://track.example-shop.com/103/1".into(),
                generated_tracking_link: "https://www.fedex.com/x".into(),
                items: vec![ShipmentItem {
                    order_product_id: 1006,
                    quantity: 1,
                }],
                ..Shipment::default()
            },
        ]
    }

    #[test]
    fn every_order_field_with_gladly_types() {
        let images = HashMap::from([(101u64, "https://cdn/mug.jpg".to_string())]);
        let storefront = url::Url::parse("https://shop.example.com/").unwrap();
        let ctx = MapContext {
            store_hash: "abc",
            storefront_url: Some(&storefront),
            images: &images,
            facts: &crate::storefront::StoreFacts::default(),
        };
        let s = shipments();
        let c = card(&order(), Some(&s), &ctx, vec![]);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["type"], "ORDER");
        assert_eq!(v["orderNumber"], "103");
        assert_eq!(v["externalCustomerId"], "1");
        assert_eq!(v["createdAt"], "2026-11-16T05:12:00Z");
        assert_eq!(v["orderStatus"], "Partially Shipped");
        assert_eq!(v["statusId"], "3");
        assert_eq!(
            v["orderLink"],
            "https://store-abc.mybigcommerce.com/manage/orders/103"
        );
        assert_eq!(
            v["customerOrderUrl"],
            "https://shop.example.com/account.php?action=view_order&order_id=103"
        );
        assert_eq!(v["orderTotal"], "$172.95");
        assert_eq!(v["currencyCode"], "USD");
        assert_eq!(v["discount"], "$7.70");
        assert_eq!(v["itemCount"], 4, "a JSON number");
        assert_eq!(v["note"], "Leave at the door");
        let p = &v["products"];
        assert_eq!(p.as_array().map(Vec::len), Some(3));
        assert_eq!(p[0]["id"], "1005");
        assert_eq!(p[0]["quantity"], 2);
        assert_eq!(p[0]["unitPrice"], "$14.00");
        assert_eq!(p[0]["imageUrl"], "https://cdn/mug.jpg");
        assert_eq!(p[0]["fulfillmentStatus"], "Shipped");
        assert_eq!(p[1]["status"], "Refunded");
        assert!(p[1].get("imageUrl").is_none());
        assert_eq!(p[2]["fulfillmentStatus"], "Unfulfilled");
        let f = &v["fulfillments"];
        assert_eq!(f[0]["trackingNumber"], "1Z999");
        assert_eq!(
            f[0]["trackingUrl"], "https://www.ups.com/track?tracknum=1Z999",
            "carrier link when no merchant link"
        );
        assert_eq!(f[0]["carrier"], "UPS");
        assert_eq!(f[0]["shippingSpeed"], "UPS Ground");
        assert_eq!(f[0]["productIds"], json!(["1005"]));
        assert_eq!(
            f[1]["trackingUrl"], "https://track.example-shop.com/103/1",
            "merchant link wins"
        );
        assert_eq!(v["firstTrackingNumber"], "1Z999");
        assert_eq!(
            v["firstTrackingUrl"],
            "https://www.ups.com/track?tracknum=1Z999"
        );
        assert_eq!(v["billingAddress"]["name"], "Jane Doe");
        assert_eq!(v["billingAddress"]["street1"], "1 Main St");
        assert_eq!(v["billingAddress"]["zip"], "78701");
        assert_eq!(v["actions"], json!([]));
    }

    #[test]
    fn guest_orders_and_missing_shipments() {
        let mut o = order();
        o.customer_id = None;
        o.currency_code = "GBP".into();
        o.billing_address.email = "Riley.Guest@Example.com".into();
        let images = HashMap::new();
        let storefront = url::Url::parse("https://shop.example.com/").unwrap();
        let ctx = MapContext {
            store_hash: "abc",
            storefront_url: Some(&storefront),
            images: &images,
            facts: &crate::storefront::StoreFacts::default(),
        };
        let c = card(&o, None, &ctx, vec![]);
        assert_eq!(c.external_customer_id, "guest:riley.guest@example.com");
        assert_eq!(c.order_total, "£172.95");
        assert!(
            c.customer_order_url.is_none(),
            "guests have no account page"
        );
        assert!(c.fulfillments.is_empty() && c.first_tracking_number.is_none());
    }
}
