//! The BigCommerce fields this project reads. Every field tolerates null, absence and the
//! string-or-number wobble of real stores; unknown fields are ignored.

use super::de;
use crate::ids::{CustomerId, OrderId, ProductId, PromotionId};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Customer {
    #[serde(deserialize_with = "de::customer_id")]
    pub id: CustomerId,
    #[serde(default, deserialize_with = "de::text")]
    pub email: String,
    #[serde(default, deserialize_with = "de::text")]
    pub first_name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub last_name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub company: String,
    #[serde(default, deserialize_with = "de::text")]
    pub phone: String,
    #[serde(default, deserialize_with = "de::text")]
    pub notes: String,
    #[serde(default, deserialize_with = "de::text")]
    pub customer_group_id: String,
    #[serde(default, deserialize_with = "de::date")]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub addresses: Vec<CustomerAddress>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub store_credit_amounts: Vec<StoreCredit>,
    /// The storefronts (channels) the customer may sign in to; null on some real stores.
    #[serde(default, deserialize_with = "de::ids")]
    pub channel_ids: Vec<u64>,
    #[serde(default, deserialize_with = "de::count")]
    pub origin_channel_id: u64,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CustomerAddress {
    #[serde(default, deserialize_with = "de::text")]
    pub address1: String,
    #[serde(default, deserialize_with = "de::text")]
    pub address2: String,
    #[serde(default, deserialize_with = "de::text")]
    pub city: String,
    #[serde(default, deserialize_with = "de::text")]
    pub state_or_province: String,
    #[serde(default, deserialize_with = "de::text")]
    pub postal_code: String,
    #[serde(default, deserialize_with = "de::text")]
    pub country: String,
    /// ISO 3166 alpha-2.
    #[serde(default, deserialize_with = "de::text")]
    pub country_code: String,
    #[serde(default, deserialize_with = "de::text")]
    pub phone: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct StoreCredit {
    #[serde(default, deserialize_with = "de::money")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
pub struct BillingAddress {
    #[serde(default, deserialize_with = "de::text")]
    pub first_name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub last_name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub company: String,
    #[serde(default, deserialize_with = "de::text")]
    pub street_1: String,
    #[serde(default, deserialize_with = "de::text")]
    pub street_2: String,
    #[serde(default, deserialize_with = "de::text")]
    pub city: String,
    #[serde(default, deserialize_with = "de::text")]
    pub state: String,
    #[serde(default, deserialize_with = "de::text")]
    pub zip: String,
    #[serde(default, deserialize_with = "de::text")]
    pub country: String,
    /// ISO 3166 alpha-2.
    #[serde(default, deserialize_with = "de::text")]
    pub country_iso2: String,
    #[serde(default, deserialize_with = "de::text")]
    pub phone: String,
    #[serde(default, deserialize_with = "de::text")]
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Order {
    #[serde(deserialize_with = "de::order_id")]
    pub id: OrderId,
    /// `None` for a guest order.
    #[serde(default, deserialize_with = "de::order_customer")]
    pub customer_id: Option<CustomerId>,
    #[serde(default, deserialize_with = "de::date")]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::count")]
    pub status_id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub status: String,
    #[serde(default, deserialize_with = "de::text")]
    pub custom_status: String,
    #[serde(default, deserialize_with = "de::money")]
    pub total_inc_tax: Decimal,
    #[serde(default, deserialize_with = "de::money")]
    pub subtotal_inc_tax: Decimal,
    #[serde(default, deserialize_with = "de::money")]
    pub shipping_cost_inc_tax: Decimal,
    #[serde(default, deserialize_with = "de::money")]
    pub discount_amount: Decimal,
    #[serde(default, deserialize_with = "de::money")]
    pub coupon_discount: Decimal,
    #[serde(default, deserialize_with = "de::money")]
    pub refunded_amount: Decimal,
    #[serde(default, deserialize_with = "de::text")]
    pub currency_code: String,
    #[serde(default, deserialize_with = "de::text")]
    pub default_currency_code: String,
    #[serde(default, deserialize_with = "de::text")]
    pub store_default_currency_code: String,
    /// The storefront (Multi-Storefront channel) the order was placed on; 1 is the default one.
    #[serde(default, deserialize_with = "de::count")]
    pub channel_id: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub items_total: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub items_shipped: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub payment_method: String,
    #[serde(default, deserialize_with = "de::text")]
    pub payment_status: String,
    /// Store default currency × this = the order's transactional currency.
    #[serde(default, deserialize_with = "de::money")]
    pub store_default_to_transactional_exchange_rate: Decimal,
    /// Staff notes: where a cancel leaves its `[gladly:<requestId>]` marker.
    #[serde(default, deserialize_with = "de::text")]
    pub staff_notes: String,
    #[serde(default, deserialize_with = "de::text")]
    pub customer_message: String,
    /// The system that made the order through the API (`external_source`): ours names the
    /// adaptor on the replacements it sends.
    #[serde(default, deserialize_with = "de::text")]
    pub external_source: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub is_email_opt_in: bool,
    #[serde(default, deserialize_with = "de::null_default")]
    pub billing_address: BillingAddress,
    /// With `include=consignments.line_items&consignment_structure=object`: the line items,
    /// read once here rather than by every caller.
    #[serde(default, deserialize_with = "consignments")]
    pub consignments: Consignments,
}

/// What the embedded consignments tell: the line items (shipping and pickup consignments) and
/// the shipping consignment's id.
#[derive(Debug, Clone, Default)]
pub struct Consignments {
    pub line_items: Vec<OrderProduct>,
    pub shipping_id: Option<u64>,
}

fn consignments<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Consignments, D::Error> {
    let v = Value::deserialize(d)?;
    let mut line_items: Vec<OrderProduct> = Vec::new();
    for kind in ["shipping", "pickups"] {
        for consignment in v[kind].as_array().into_iter().flatten() {
            for item in consignment["line_items"].as_array().into_iter().flatten() {
                if let Ok(p) = OrderProduct::deserialize(item) {
                    if !line_items.iter().any(|x| x.id == p.id) {
                        line_items.push(p);
                    }
                }
            }
        }
    }
    Ok(Consignments {
        line_items,
        shipping_id: v["shipping"][0]["id"].as_u64(),
    })
}

impl Order {
    pub fn line_items(&self) -> &[OrderProduct] {
        &self.consignments.line_items
    }

    /// The transactional currency: the one the shopper paid in, which the order's amounts,
    /// refunds and refund limits are in (`default_currency_code`, despite its name). The display
    /// currency (`currency_code`) is only what the storefront showed; old stores that send only
    /// that one have a single currency, so it is the same.
    pub fn currency(&self) -> &str {
        let transactional = self.default_currency_code.trim();
        if !transactional.is_empty() {
            transactional
        } else {
            self.currency_code.trim()
        }
    }

    /// The display currency when it differs from the transactional one (a multi-currency
    /// storefront showed the shopper prices in another currency).
    pub fn display_currency(&self) -> Option<&str> {
        let display = self.currency_code.trim();
        (!display.is_empty() && !display.eq_ignore_ascii_case(self.currency())).then_some(display)
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct OrderProduct {
    #[serde(deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::product_id")]
    pub product_id: ProductId,
    /// What inventory adjustments name.
    #[serde(default, deserialize_with = "de::count")]
    pub variant_id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub sku: String,
    #[serde(default, deserialize_with = "de::count")]
    pub quantity: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub quantity_shipped: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub quantity_refunded: u64,
    #[serde(default, deserialize_with = "de::null_default")]
    pub is_refunded: bool,
    #[serde(default, deserialize_with = "de::money")]
    pub price_inc_tax: Decimal,
    #[serde(default, deserialize_with = "de::money")]
    pub total_inc_tax: Decimal,
    /// The variant options and modifiers chosen: what a replacement sends again.
    #[serde(default, deserialize_with = "de::null_default")]
    pub product_options: Vec<OrderProductOption>,
}

/// One chosen option of an order line (`product_option_id` and its value).
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
pub struct OrderProductOption {
    #[serde(default, deserialize_with = "de::count")]
    pub product_option_id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub value: String,
    #[serde(default, deserialize_with = "de::text")]
    pub display_name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub display_value: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Shipment {
    #[serde(deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub order_id: u64,
    #[serde(default, deserialize_with = "de::date")]
    pub date_created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::text")]
    pub tracking_number: String,
    #[serde(default, deserialize_with = "de::text")]
    pub tracking_carrier: String,
    #[serde(default, deserialize_with = "de::text")]
    pub tracking_link: String,
    #[serde(default, deserialize_with = "de::text")]
    pub generated_tracking_link: String,
    #[serde(default, deserialize_with = "de::text")]
    pub shipping_method: String,
    #[serde(default, deserialize_with = "de::text")]
    pub shipping_provider: String,
    #[serde(default, deserialize_with = "de::text")]
    pub shipping_provider_display_name: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub shipping_address: BillingAddress,
    #[serde(default, deserialize_with = "de::null_default")]
    pub items: Vec<ShipmentItem>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct ShipmentItem {
    #[serde(default, deserialize_with = "de::count")]
    pub order_product_id: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub quantity: u64,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CatalogProduct {
    #[serde(deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default)]
    pub primary_image: Value,
}

impl CatalogProduct {
    pub fn thumbnail(&self) -> Option<String> {
        self.primary_image["url_thumbnail"]
            .as_str()
            .filter(|u| !u.is_empty())
            .map(String::from)
    }
}

impl Order {
    /// The shipping consignment's id: refunds name shipping by it (`item_type: SHIPPING`).
    pub fn shipping_item_id(&self) -> Option<u64> {
        self.consignments.shipping_id
    }
}

/// A past refund (`GET /v3/orders/{id}/payment_actions/refunds`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Refund {
    #[serde(default, deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::date")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "de::text")]
    pub reason: String,
    #[serde(default, deserialize_with = "de::money")]
    pub total_amount: Decimal,
    #[serde(default, deserialize_with = "de::null_default")]
    pub items: Vec<RefundedItem>,
    #[serde(default, deserialize_with = "de::null_default")]
    pub payments: Vec<RefundPayment>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct RefundedItem {
    #[serde(default, deserialize_with = "de::text")]
    pub item_type: String,
    #[serde(default, deserialize_with = "de::count")]
    pub item_id: u64,
    #[serde(default, deserialize_with = "de::count")]
    pub quantity: u64,
    #[serde(default, deserialize_with = "de::money")]
    pub requested_amount: Decimal,
    #[serde(default, deserialize_with = "de::text")]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
pub struct RefundPayment {
    #[serde(default, deserialize_with = "de::text")]
    pub provider_id: String,
    #[serde(default, deserialize_with = "de::text")]
    pub provider_description: String,
    #[serde(default, deserialize_with = "de::money")]
    pub amount: Decimal,
    #[serde(default, deserialize_with = "de::null_default")]
    pub offline: bool,
}

/// `POST …/refund_quotes` answer (inside `data`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct RefundQuote {
    #[serde(default, deserialize_with = "de::money")]
    pub total_refund_amount: Decimal,
    /// Each inner list is one complete way to pay the refund back.
    #[serde(default, deserialize_with = "de::null_default")]
    pub refund_methods: Vec<Vec<RefundPayment>>,
}

/// A v3 promotion, as far as we read it.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Promotion {
    #[serde(default, deserialize_with = "de::promotion_id")]
    pub id: PromotionId,
    #[serde(default, deserialize_with = "de::text")]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CouponCode {
    #[serde(default, deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub code: String,
    #[serde(default, deserialize_with = "de::promotion_id")]
    pub promotion_id: PromotionId,
}

/// `GET /v2/customer_groups` (`customerGroup_Full`): the name a customer's group id stands for.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
pub struct CustomerGroup {
    #[serde(deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub name: String,
}

/// `GET /v2/store`: the store's own settings, as far as we read them.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct StoreInformation {
    #[serde(default, deserialize_with = "de::text")]
    pub name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub country_code: String,
    /// The store's default currency.
    #[serde(default, deserialize_with = "de::text")]
    pub currency: String,
    #[serde(default, deserialize_with = "de::text")]
    pub secure_url: String,
    /// The address the store's order emails come from, and the owner's: a gift certificate's
    /// sender when the secret names none.
    #[serde(default, deserialize_with = "de::text")]
    pub order_email: String,
    #[serde(default, deserialize_with = "de::text")]
    pub admin_email: String,
    #[serde(default, deserialize_with = "de::null_default")]
    pub timezone: StoreTimezone,
    #[serde(default, deserialize_with = "de::count")]
    pub default_channel_id: u64,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct StoreTimezone {
    #[serde(default, deserialize_with = "de::text")]
    pub name: String,
    /// Seconds east of UTC in standard (winter) time.
    #[serde(default, deserialize_with = "de::null_default")]
    pub raw_offset: i64,
}

/// `GET /v3/channels`: one storefront (or marketplace, POS, …) of a Multi-Storefront store.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Channel {
    #[serde(deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub name: String,
    #[serde(default, deserialize_with = "de::text")]
    pub r#type: String,
    #[serde(default, deserialize_with = "de::text")]
    pub status: String,
}

/// `GET /v3/sites`: a channel's storefront site and its URL.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Site {
    #[serde(default, deserialize_with = "de::count")]
    pub channel_id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub url: String,
}

/// v3 list answers: `{"data": [...], "meta": {...}}`.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct DataList<T> {
    #[serde(default = "Vec::new", deserialize_with = "de::null_default")]
    pub data: Vec<T>,
    #[serde(default)]
    pub meta: Value,
}

impl<T> DataList<T> {
    /// Whether `meta.pagination` says a later page exists: page-based (`current_page`,
    /// `total_pages`) or, as `/v3/sites` answers, offset-based (`offset`, `limit`, `total_items`).
    pub fn has_next_page(&self) -> bool {
        let p = &self.meta["pagination"];
        let n = |k: &str| p[k].as_u64();
        match (n("current_page"), n("total_pages")) {
            (Some(current), Some(total)) => current < total,
            _ => match (n("offset"), n("limit"), n("total_items")) {
                (Some(offset), Some(limit), Some(total)) => {
                    limit > 0 && offset.saturating_add(limit) < total
                }
                _ => false,
            },
        }
    }
}

impl<T> Default for DataList<T> {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            meta: Value::Null,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn real_store_looseness_is_tolerated() {
        let o: Order = serde_json::from_value(json!({
            "id": "101", "customer_id": null, "payment_provider_id": null, "status_id": 11,
            "total_inc_tax": "55.9400", "refunded_amount": 0, "items_total": "3",
            "billing_address": null, "is_email_opt_in": null, "date_created": "Tue, 05 Mar 2019 21:40:11 +0000",
            "unknown_field": {"x": 1},
            "consignments": {"shipping": [{"line_items": [
                {"id": 1001, "product_id": 101, "name": "Mug", "quantity": 2, "price_inc_tax": "14.0000",
                 "fulfillment_source": "", "event_name": null, "configurable_fields": []}
            ]}]}
        }))
        .expect("loose order parses");
        assert_eq!(
            (o.id, o.customer_id, o.items_total),
            (OrderId(101), None, 3)
        );
        assert_eq!(o.total_inc_tax.to_string(), "55.9400");
        assert_eq!(o.line_items().len(), 1);
        assert!(o.date_created.is_some());

        let c: Customer = serde_json::from_value(json!({
            "id": 1, "email": "a@b.co", "channel_ids": null, "company": null, "customer_group_id": 0,
            "addresses": null, "store_credit_amounts": [{"amount": 43.15}]
        }))
        .expect("loose customer parses");
        assert_eq!(c.store_credit_amounts[0].amount.to_string(), "43.15");
        assert_eq!(c.customer_group_id, "0");
    }
}

/// An order's shipping address (`GET /v2/orders/{id}/shipping_addresses`): the billing
/// address's fields, with the id its PUT names.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
pub struct ShippingAddress {
    #[serde(default, deserialize_with = "de::count")]
    pub id: u64,
    #[serde(flatten)]
    pub address: BillingAddress,
}

/// A gift certificate (`/v2/gift_certificates`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct GiftCertificate {
    #[serde(default, deserialize_with = "de::count")]
    pub id: u64,
    #[serde(default, deserialize_with = "de::text")]
    pub code: String,
    #[serde(default, deserialize_with = "de::money")]
    pub amount: Decimal,
    #[serde(default, deserialize_with = "de::text")]
    pub currency_code: String,
    #[serde(default, deserialize_with = "de::text")]
    pub to_email: String,
}

/// An inventory location (`GET /v3/inventory/locations`).
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Location {
    #[serde(default, deserialize_with = "de::count")]
    pub id: u64,
}
