//! What we answer Gladly: profiles, ORDER transaction cards and action links, with the JSON
//! types Gladly's reader expects (strings for attributes and money, numbers for counts).

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct LookupResponse {
    pub results: Vec<Profile>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub external_customer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub emails: Vec<Email>,
    pub phones: Vec<Phone>,
    pub custom_attributes: BTreeMap<String, String>,
    /// Read by Gladly from DETAILED answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<OrderCard>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Action>>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Email {
    pub original: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Phone {
    pub original: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub name: String,
    pub form_url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderCard {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub external_customer_id: String,
    pub order_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub order_status: String,
    pub status_id: String,
    pub order_link: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_order_url: Option<String>,
    pub order_total: String,
    pub currency_code: String,
    pub discount: String,
    pub item_count: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The storefront the order was placed on, when the store has more than one (also in `note`,
    /// which Gladly shows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storefront: Option<String>,
    /// The currency the storefront showed prices in, when not the one paid in (`currencyCode`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_currency_code: Option<String>,
    pub products: Vec<CardProduct>,
    pub fulfillments: Vec<Fulfillment>,
    pub billing_address: CardAddress,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_tracking_url: Option<String>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CardProduct {
    pub id: String,
    pub name: String,
    pub status: String,
    pub fulfillment_status: String,
    pub sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    pub quantity: u64,
    pub unit_price: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Fulfillment {
    pub id: String,
    pub tracking_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
    pub carrier: String,
    pub shipping_speed: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub product_ids: Vec<String>,
    pub shipping_address: CardAddress,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CardAddress {
    pub name: String,
    pub phone: String,
    pub street1: String,
    pub street2: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub zip: String,
}
