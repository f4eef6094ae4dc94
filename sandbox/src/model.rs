//! The store's data: what the seed file holds and what the API changes. Totals and statuses
//! that BigCommerce derives (refunded amount, items shipped) are derived here too, never stored
//! twice.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Seed {
    pub store: StoreInfo,
    pub products: Vec<Product>,
    pub customers: Vec<Customer>,
    pub orders: Vec<Order>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct StoreInfo {
    pub hash: String,
    pub token: String,
    pub name: String,
    pub default_currency: String,
    /// ISO 3166 alpha-2 of the store's address (`GET /v2/store` `country_code`).
    #[serde(default = "default_country")]
    pub country_code: String,
    #[serde(default)]
    pub timezone: Timezone,
    /// Multi-Storefront channels, each with its site; one storefront when absent.
    #[serde(default)]
    pub channels: Vec<ChannelInfo>,
    /// Multi-currency: the transactional currencies besides the default an order may be made in
    /// (`default_currency_code` of `POST /v2/orders`); none when multi-currency is off.
    #[serde(default)]
    pub currencies: Vec<String>,
    /// `GET /v2/customer_groups`; a customer's `customer_group_id` names one (0: no group).
    #[serde(default)]
    pub customer_groups: Vec<CustomerGroup>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CustomerGroup {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub is_default: bool,
}

fn default_country() -> String {
    "US".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Timezone {
    pub name: String,
    /// Seconds east of UTC in standard time.
    pub raw_offset: i64,
    /// Seconds east of UTC in daylight-saving time.
    pub dst_offset: i64,
}

impl Default for Timezone {
    fn default() -> Self {
        Self {
            name: "America/Chicago".into(),
            raw_offset: -21600,
            dst_offset: -18000,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ChannelInfo {
    pub id: u64,
    pub name: String,
    /// The storefront's site URL (`GET /v3/channels/{id}/site`).
    pub url: String,
}

impl StoreInfo {
    /// The channels, or the one storefront every store has.
    pub fn storefronts(&self) -> Vec<ChannelInfo> {
        if self.channels.is_empty() {
            vec![ChannelInfo {
                id: 1,
                name: self.name.clone(),
                url: "https://shop.example.com".into(),
            }]
        } else {
            self.channels.clone()
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Product {
    pub id: u64,
    pub name: String,
    pub sku: String,
    pub price: Decimal,
    #[serde(default)]
    pub image: Option<String>,
    /// `available`, `disabled` (not for sale) or `preorder`, as the v3 catalog has it.
    #[serde(default = "default_availability")]
    pub availability: String,
    #[serde(default = "default_true")]
    pub is_visible: bool,
    /// `none`, `product` (one stock level) or `variant` (a level per variant).
    #[serde(default = "default_tracking")]
    pub inventory_tracking: String,
    /// Starting stock of the product's base variant (`id × 10`); `STARTING_STOCK` when absent.
    #[serde(default)]
    pub inventory_level: Option<i64>,
    /// Deleted from the catalog: orders keep naming it, nothing can order it.
    #[serde(default)]
    pub deleted: bool,
    /// Variant options (`product_option_id` and its values).
    #[serde(default)]
    pub options: Vec<ProductOption>,
    #[serde(default)]
    pub variants: Vec<Variant>,
}

fn default_availability() -> String {
    "available".into()
}

fn default_true() -> bool {
    true
}

fn default_tracking() -> String {
    "none".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ProductOption {
    /// The `product_option_id` of order products, `product_options[].id` of an order POST.
    pub id: u64,
    pub display_name: String,
    pub values: Vec<OptionValue>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OptionValue {
    pub id: u64,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Variant {
    pub id: u64,
    /// `(product_option_id, option value id)` pairs that pick this variant.
    pub option_values: Vec<(u64, u64)>,
    #[serde(default)]
    pub purchasing_disabled: bool,
    /// Starting stock; `STARTING_STOCK` when absent.
    #[serde(default)]
    pub inventory_level: Option<i64>,
}

impl Product {
    /// The variant id that an order line without options has (BigCommerce's base variant).
    pub fn base_variant(&self) -> u64 {
        self.id * 10
    }

    /// Whether `variant_id` is one of this product's variants (the base one included).
    pub fn has_variant(&self, variant_id: u64) -> bool {
        variant_id == self.base_variant() || self.variants.iter().any(|v| v.id == variant_id)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub customer_group_id: u64,
    pub date_created: DateTime<Utc>,
    /// Set by every change the API makes; none (never changed) reads as `date_created`, so seed
    /// files need not carry it.
    #[serde(default)]
    pub date_modified: Option<DateTime<Utc>>,
    #[serde(default)]
    pub store_credit: Decimal,
    #[serde(default)]
    pub accepts_marketing: bool,
    #[serde(default)]
    pub addresses: Vec<Address>,
    /// The storefronts the customer may sign in to (the first is where they signed up).
    #[serde(default = "default_channels")]
    pub channel_ids: Vec<u64>,
}

impl Customer {
    /// When the customer last changed: created, if never since.
    pub fn modified(&self) -> DateTime<Utc> {
        self.date_modified.unwrap_or(self.date_created)
    }

    /// Every change the API makes to a customer stamps it, as BigCommerce does.
    pub fn touch(&mut self) {
        self.date_modified = Some(Utc::now());
    }
}

fn default_channels() -> Vec<u64> {
    vec![1]
}

fn default_channel() -> u64 {
    1
}

fn default_order_source() -> String {
    "www".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Address {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    pub address1: String,
    #[serde(default)]
    pub address2: String,
    pub city: String,
    pub state_or_province: String,
    pub postal_code: String,
    pub country: String,
    pub country_code: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct BillingAddress {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    pub street_1: String,
    #[serde(default)]
    pub street_2: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub country_iso2: String,
    #[serde(default)]
    pub phone: String,
    pub email: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Money authorised but not captured: a void releases it.
    Authorized,
    Captured,
    Void,
    /// Nothing paid yet (Awaiting Payment, Pending, Incomplete).
    Unpaid,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Order {
    pub id: u64,
    /// 0 for a guest order.
    pub customer_id: u64,
    pub date_created: DateTime<Utc>,
    #[serde(default)]
    pub date_modified: Option<DateTime<Utc>>,
    pub status_id: u32,
    /// The transactional currency: what the shopper paid in, what every amount is in.
    pub currency_code: String,
    /// The currency the storefront showed prices in, when it converted them.
    #[serde(default)]
    pub display_currency_code: Option<String>,
    /// Display units per transactional unit.
    #[serde(default)]
    pub display_exchange_rate: Option<Decimal>,
    /// Transactional units per unit of the store's default currency
    /// (`store_default_to_transactional_exchange_rate`); 1 when absent.
    #[serde(default)]
    pub store_to_order_rate: Option<Decimal>,
    #[serde(default = "default_channel")]
    pub channel_id: u64,
    pub payment_method: String,
    /// The payment gateway, as refund quotes name it (`braintree`, `stripev3`, …).
    pub payment_provider: String,
    pub payment: PaymentState,
    #[serde(default)]
    pub shipping_cost: Decimal,
    #[serde(default)]
    pub shipping_method: String,
    #[serde(default)]
    pub discount_amount: Decimal,
    #[serde(default)]
    pub coupons: Vec<Coupon>,
    #[serde(default)]
    pub customer_message: String,
    #[serde(default)]
    pub staff_notes: String,
    /// The system that made the order through the API (`external_source`), if any.
    #[serde(default)]
    pub external_source: Option<String>,
    /// `www` for storefront orders; `external` for orders made through `POST /v2/orders`.
    #[serde(default = "default_order_source")]
    pub order_source: String,
    #[serde(default)]
    pub is_email_opt_in: bool,
    pub billing_address: BillingAddress,
    /// Where it ships; the billing address until someone changes it.
    #[serde(default)]
    pub shipping_address: Option<BillingAddress>,
    pub items: Vec<OrderItem>,
    #[serde(default)]
    pub shipments: Vec<Shipment>,
    #[serde(default)]
    pub refunds: Vec<Refund>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Coupon {
    pub id: u64,
    pub code: String,
    pub amount: Decimal,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrderItem {
    /// The order-product id: refunds' `item_id`, shipments' `order_product_id`.
    pub id: u64,
    pub product_id: u64,
    pub quantity: u32,
    /// Price per unit, tax included, after item discounts.
    pub price: Decimal,
    /// Price per unit before tax, when it differs from `price`.
    #[serde(default)]
    pub price_ex_tax: Option<Decimal>,
    #[serde(default)]
    pub quantity_refunded: u32,
    /// The variant bought; the product's base variant (`product_id × 10`) when absent.
    #[serde(default)]
    pub variant_id: Option<u64>,
    /// A custom product's name (no `product_id`).
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub product_options: Vec<ItemOption>,
}

/// One chosen option of an order line.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ItemOption {
    pub product_option_id: u64,
    /// The option value id, as a string (BigCommerce's `value`).
    pub value: String,
    pub display_name: String,
    pub display_value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Shipment {
    pub id: u64,
    pub date_created: DateTime<Utc>,
    pub tracking_number: String,
    /// Carrier code: `ups`, `fedex`, `usps`, `royalmail`, `auspost`, or empty.
    #[serde(default)]
    pub carrier: String,
    /// The merchant's own tracking link (BigCommerce's `tracking_link`), often empty.
    #[serde(default)]
    pub tracking_link: String,
    #[serde(default)]
    pub shipping_method: String,
    pub items: Vec<ShipmentItem>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ShipmentItem {
    pub order_product_id: u64,
    pub quantity: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Refund {
    pub id: u64,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub reason: String,
    pub items: Vec<RefundItem>,
    pub payments: Vec<RefundPayment>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RefundItem {
    pub item_type: String,
    pub item_id: u64,
    #[serde(default)]
    pub quantity: Option<u32>,
    pub amount: Decimal,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RefundPayment {
    pub id: u64,
    pub provider_id: String,
    pub amount: Decimal,
    pub offline: bool,
}

impl Order {
    pub fn subtotal(&self) -> Decimal {
        self.items
            .iter()
            .map(|i| i.price * Decimal::from(i.quantity))
            .sum()
    }

    pub fn total(&self) -> Decimal {
        let coupons: Decimal = self.coupons.iter().map(|c| c.amount).sum();
        self.subtotal() + self.shipping_cost - self.discount_amount - coupons
    }

    pub fn refunded_amount(&self) -> Decimal {
        self.refunds
            .iter()
            .flat_map(|r| &r.payments)
            .map(|p| p.amount)
            .sum()
    }

    pub fn quantity_shipped(&self, order_product_id: u64) -> u32 {
        self.shipments
            .iter()
            .flat_map(|s| &s.items)
            .filter(|i| i.order_product_id == order_product_id)
            .map(|i| i.quantity)
            .sum()
    }

    pub fn items_total(&self) -> u32 {
        self.items.iter().map(|i| i.quantity).sum()
    }

    pub fn items_shipped(&self) -> u32 {
        self.items.iter().map(|i| self.quantity_shipped(i.id)).sum()
    }

    pub fn shipping_refunded(&self) -> Decimal {
        self.refunds
            .iter()
            .flat_map(|r| &r.items)
            .filter(|i| i.item_type == "SHIPPING")
            .map(|i| i.amount)
            .sum()
    }

    /// BigCommerce's `payment_status` string.
    pub fn payment_status(&self) -> &'static str {
        let refunded = self.refunded_amount();
        match self.payment {
            PaymentState::Void => "void",
            PaymentState::Unpaid => "",
            PaymentState::Authorized => "authorized",
            PaymentState::Captured if refunded >= self.total() && refunded > Decimal::ZERO => {
                "refunded"
            }
            PaymentState::Captured if refunded > Decimal::ZERO => "partially refunded",
            PaymentState::Captured => "captured",
        }
    }
}

/// BigCommerce's default order statuses (`GET /v2/order_statuses`).
pub const ORDER_STATUSES: [(u32, &str, &str); 15] = [
    (0, "Incomplete", "An incomplete order happens when a shopper reached the payment page, but did not complete the transaction."),
    (1, "Pending", "Customer started the checkout process, but did not complete it."),
    (2, "Shipped", "Order has been shipped, but receipt has not been confirmed."),
    (3, "Partially Shipped", "Only some items in the order have been shipped."),
    (4, "Refunded", "Seller has used the Refund action."),
    (5, "Cancelled", "Seller has cancelled an order, due to a stock inconsistency or other reasons."),
    (6, "Declined", "Seller has marked the order as declined for lack of manual payment, or other reasons."),
    (7, "Awaiting Payment", "Customer has completed checkout process, but payment has yet to be confirmed."),
    (8, "Awaiting Pickup", "Order has been pulled, and is awaiting customer pickup from a seller-specified location."),
    (9, "Awaiting Shipment", "Order has been pulled and packaged, and is awaiting collection from a shipping provider."),
    (10, "Completed", "Client has paid for their digital product and their file(s) are available for download."),
    (11, "Awaiting Fulfillment", "Customer has completed the checkout process and payment has been confirmed."),
    (12, "Manual Verification Required", "Order on hold while some aspect needs to be manually confirmed."),
    (13, "Disputed", "Customer has initiated a dispute resolution process for the PayPal transaction that paid for the order."),
    (14, "Partially Refunded", "Seller has partially refunded the order."),
];

pub fn status_name(id: u32) -> &'static str {
    ORDER_STATUSES
        .iter()
        .find(|(i, _, _)| *i == id)
        .map(|(_, n, _)| *n)
        .unwrap_or("Unknown")
}
