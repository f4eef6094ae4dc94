//! The bodies we send BigCommerce, typed: only the fields we mean to write, money with an
//! explicit wire format, so a write can never carry a field by accident (an order PUT that
//! touches products would clear their discounts).

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

/// Money as v3 bodies take it: a JSON number, already rounded to the currency's minor units.
pub fn number<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    use rust_decimal::prelude::ToPrimitive;
    match d.to_f64() {
        Some(f) if f.is_finite() => s.serialize_f64(f),
        _ => Err(serde::ser::Error::custom("amount out of range")),
    }
}

/// Money as v2 bodies take it: a decimal string.
pub fn text<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

/// `PUT /v2/orders/{id}`: the status and the staff notes, nothing else.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct OrderPut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff_notes: Option<String>,
}

/// One customer of `PUT /v3/customers` (`customer_Put`; the body is an array of at most 10):
/// the store credit balance, which BigCommerce keeps as an absolute amount, and the notes, in
/// one item so the request's marker in the notes lands together with the credit or not at all.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CustomerCreditPut {
    pub id: u64,
    /// One amount: the new balance (`CustomerStoredCreditAmounts`).
    pub store_credit_amounts: Vec<StoreCreditAmount>,
    pub notes: String,
}

/// `CustomerStoredCreditAmounts` items: `{"amount": 43.15}`, a JSON number.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StoreCreditAmount {
    #[serde(serialize_with = "number")]
    pub amount: Decimal,
}

/// `PUT /v2/orders/{id}/shipping_addresses/{address_id}` (`shippingAddress_Put`).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AddressPut {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub street_1: String,
    pub street_2: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub country_iso2: String,
    pub phone: String,
}

/// `POST /v2/gift_certificates` (`giftCertificate_Post`). No `currency_code`: BigCommerce
/// uses the store's default currency.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GiftCertificatePost {
    pub to_name: String,
    pub to_email: String,
    pub from_name: String,
    pub from_email: String,
    #[serde(serialize_with = "text")]
    pub amount: Decimal,
    pub code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<u64>,
}

/// One line of a refund (`RefundRequest_Post_Items` / refund quote items): products by
/// quantity, shipping and order-level amounts in money.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "item_type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundItem {
    Product {
        item_id: u64,
        quantity: u64,
        reason: String,
    },
    Shipping {
        item_id: u64,
        #[serde(serialize_with = "number")]
        amount: Decimal,
        reason: String,
    },
    Order {
        item_id: u64,
        #[serde(serialize_with = "number")]
        amount: Decimal,
        reason: String,
    },
}

/// `POST /v3/orders/{id}/payment_actions/refund_quotes`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefundQuotePost<'a> {
    pub items: &'a [RefundItem],
}

/// One way the money goes back (`provider_id` from the quote).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefundPaymentPost {
    pub provider_id: String,
    #[serde(serialize_with = "number")]
    pub amount: Decimal,
    pub offline: bool,
}

/// `POST /v3/orders/{id}/payment_actions/refunds`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefundPost<'a> {
    pub items: &'a [RefundItem],
    pub payments: Vec<RefundPaymentPost>,
}

/// A promotion's discount, as the promotions API writes amounts: decimal strings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Discount {
    PercentageAmount(String),
    FixedAmount(String),
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PromotionAction {
    CartValue {
        discount: Discount,
    },
    Shipping {
        free_shipping: bool,
        zone_ids: &'static str,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CartCondition {
    pub minimum_spend: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PromotionCondition {
    pub cart: CartCondition,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PromotionRule {
    pub action: PromotionAction,
    pub apply_once: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<PromotionCondition>,
}

/// `POST /v3/promotions`: a coupon promotion.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PromotionPost {
    pub name: String,
    pub redemption_type: &'static str,
    pub status: &'static str,
    pub rules: Vec<PromotionRule>,
    pub max_uses: u64,
    pub start_date: String,
    pub end_date: String,
    /// The storefronts it works on; empty means every storefront.
    pub channels: Vec<ChannelRef>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChannelRef {
    pub id: u64,
}

/// `POST /v3/promotions/{id}/codes`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CouponCodePost<'a> {
    pub code: &'a str,
    pub max_uses: u64,
    pub max_uses_per_customer: u64,
}

/// `POST /v3/inventory/adjustments/relative`: stock back in, by variant and location.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StockAdjustment {
    pub reason: String,
    pub items: Vec<StockItem>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StockItem {
    pub location_id: u64,
    pub variant_id: u64,
    pub quantity: i64,
}

/// `POST /v2/orders` (`order_Post` in `orders.v2.oas2.yml`): a new order from products and
/// shipping addresses, no payment taken. Only what a replacement writes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OrderPost {
    /// 0: a guest order (then the billing email says whose it is).
    pub customer_id: u64,
    pub channel_id: u64,
    pub status_id: u64,
    /// The transactional currency; written only where multi-currency is on, else BigCommerce
    /// makes the order in the store's default currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_currency_code: Option<String>,
    pub billing_address: OrderAddress,
    pub shipping_addresses: Vec<OrderAddress>,
    pub products: Vec<OrderProductPost>,
    pub external_source: String,
    pub staff_notes: String,
}

/// `billingAddress_Base` / `shippingAddress_Base`: the address fields a shipping address PUT
/// writes, and the email.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct OrderAddress {
    #[serde(flatten)]
    pub address: AddressPut,
    pub email: String,
}

/// One product of an order POST: a catalog product (`orderCatalogProduct_Post`) by product,
/// variant and options, or a custom line (`orderCustomProduct_Post`) by name. Prices are
/// JSON numbers (`type: number`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum OrderProductPost {
    Catalog {
        product_id: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        variant_id: Option<u64>,
        quantity: u64,
        #[serde(serialize_with = "number")]
        price_inc_tax: Decimal,
        #[serde(serialize_with = "number")]
        price_ex_tax: Decimal,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        product_options: Vec<OrderOptionPost>,
    },
    Custom {
        name: String,
        quantity: u64,
        #[serde(serialize_with = "number")]
        price_inc_tax: Decimal,
        #[serde(serialize_with = "number")]
        price_ex_tax: Decimal,
    },
}

/// A chosen option: `id` is the order product's `product_option_id`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OrderOptionPost {
    pub id: u64,
    pub value: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn bodies_carry_only_what_we_write() {
        let put = OrderPut {
            status_id: None,
            staff_notes: Some("n".into()),
        };
        assert_eq!(
            serde_json::to_value(&put).unwrap_or_default(),
            serde_json::json!({"staff_notes": "n"})
        );
        let g = GiftCertificatePost {
            to_name: "A".into(),
            to_email: "a@b.co".into(),
            from_name: "Shop".into(),
            from_email: "s@b.co".into(),
            amount: dec!(12.50),
            code: "GC-X".into(),
            message: String::new(),
            customer_id: None,
        };
        let v = serde_json::to_value(&g).unwrap_or_default();
        assert_eq!(v["amount"], "12.5");
        assert!(v.get("message").is_none() && v.get("currency_code").is_none());
    }

    #[test]
    fn an_order_post_has_the_order_post_shape() {
        let post = OrderPost {
            customer_id: 0,
            channel_id: 2,
            status_id: 11,
            default_currency_code: Some("EUR".into()),
            billing_address: OrderAddress {
                address: AddressPut {
                    zip: "10115".into(),
                    ..AddressPut::default()
                },
                email: "a@b.co".into(),
            },
            shipping_addresses: vec![OrderAddress::default()],
            products: vec![
                OrderProductPost::Catalog {
                    product_id: 101,
                    variant_id: Some(7),
                    quantity: 2,
                    price_inc_tax: Decimal::ZERO,
                    price_ex_tax: Decimal::ZERO,
                    product_options: vec![OrderOptionPost {
                        id: 120,
                        value: "44".into(),
                    }],
                },
                OrderProductPost::Custom {
                    name: "Engraving".into(),
                    quantity: 1,
                    price_inc_tax: Decimal::ZERO,
                    price_ex_tax: Decimal::ZERO,
                },
            ],
            external_source: "Gladly".into(),
            staff_notes: "n".into(),
        };
        let v = serde_json::to_value(&post).unwrap_or_default();
        assert_eq!(
            v["products"],
            serde_json::json!([
                {"product_id": 101, "variant_id": 7, "quantity": 2, "price_inc_tax": 0.0,
                 "price_ex_tax": 0.0, "product_options": [{"id": 120, "value": "44"}]},
                {"name": "Engraving", "quantity": 1, "price_inc_tax": 0.0, "price_ex_tax": 0.0}
            ])
        );
        assert_eq!(
            (
                &v["customer_id"],
                &v["status_id"],
                &v["default_currency_code"]
            ),
            (
                &serde_json::json!(0),
                &serde_json::json!(11),
                &serde_json::json!("EUR")
            )
        );
        assert_eq!(v["billing_address"]["zip"], "10115");
    }

    #[test]
    fn refund_and_promotion_bodies_have_bigcommerce_shapes() {
        let items = [
            RefundItem::Product {
                item_id: 1001,
                quantity: 2,
                reason: "r".into(),
            },
            RefundItem::Shipping {
                item_id: 1011,
                amount: dec!(2.50),
                reason: "r".into(),
            },
        ];
        let v = serde_json::to_value(RefundQuotePost { items: &items }).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"items": [
                {"item_type": "PRODUCT", "item_id": 1001, "quantity": 2, "reason": "r"},
                {"item_type": "SHIPPING", "item_id": 1011, "amount": 2.5, "reason": "r"}
            ]})
        );
        let rule = PromotionRule {
            action: PromotionAction::CartValue {
                discount: Discount::PercentageAmount("10".into()),
            },
            apply_once: true,
            condition: Some(PromotionCondition {
                cart: CartCondition {
                    minimum_spend: "50".into(),
                },
            }),
        };
        assert_eq!(
            serde_json::to_value(&rule).unwrap_or_default(),
            serde_json::json!({"action": {"cart_value": {"discount": {"percentage_amount": "10"}}},
                               "apply_once": true, "condition": {"cart": {"minimum_spend": "50"}}})
        );
        let free = PromotionAction::Shipping {
            free_shipping: true,
            zone_ids: "*",
        };
        assert_eq!(
            serde_json::to_value(&free).unwrap_or_default(),
            serde_json::json!({"shipping": {"free_shipping": true, "zone_ids": "*"}})
        );
    }
}
