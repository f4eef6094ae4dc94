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
}
