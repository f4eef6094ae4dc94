//! `GET /v2/orders/{id}/shipping_addresses` and `PUT /v2/orders/{id}/shipping_addresses/{address_id}`:
//! one address per order (the billing address until it is changed), in BigCommerce's v2 shape.

use crate::errors::{ApiError, Family};
use crate::formats::money_v2;
use crate::model::{BillingAddress, Order};
use crate::request::{api_root, parse_body, Id};
use crate::state::AppState;
use crate::views::shipping_address_id;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v2/orders/{id}/shipping_addresses", get(list))
        .route(
            "/v2/orders/{id}/shipping_addresses/{address_id}",
            get(one).put(update),
        )
}

/// Where the order ships.
pub fn ship_to(o: &Order) -> &BillingAddress {
    o.shipping_address.as_ref().unwrap_or(&o.billing_address)
}

fn view(root: &str, o: &Order) -> Value {
    let a = ship_to(o);
    let aid = shipping_address_id(o);
    let items_total: u64 = o.items.iter().map(|i| u64::from(i.quantity)).sum();
    let items_shipped: u64 = o
        .shipments
        .iter()
        .flat_map(|s| &s.items)
        .map(|i| u64::from(i.quantity))
        .sum();
    json!({
        "id": aid, "order_id": o.id,
        "first_name": a.first_name, "last_name": a.last_name, "company": a.company,
        "street_1": a.street_1, "street_2": a.street_2, "city": a.city, "zip": a.zip,
        "country": a.country, "country_iso2": a.country_iso2, "state": a.state,
        "email": a.email, "phone": a.phone,
        "items_total": items_total, "items_shipped": items_shipped,
        "shipping_method": o.shipping_method,
        "base_cost": money_v2(o.shipping_cost), "cost_ex_tax": money_v2(o.shipping_cost),
        "cost_inc_tax": money_v2(o.shipping_cost), "cost_tax": money_v2(rust_decimal::Decimal::ZERO),
        "cost_tax_class_id": 2, "base_handling_cost": "0.0000", "handling_cost_ex_tax": "0.0000",
        "handling_cost_inc_tax": "0.0000", "handling_cost_tax": "0.0000",
        "handling_cost_tax_class_id": 2, "shipping_zone_id": 1, "shipping_zone_name": "Everywhere",
        "shipping_quotes": {
            "url": format!("{root}/v2/orders/{}/shipping_addresses/{aid}/shipping_quotes", o.id),
            "resource": format!("/orders/{}/shipping_addresses/{aid}/shipping_quotes", o.id),
        },
        "form_fields": [],
    })
}

async fn list(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let root = api_root(&st, &headers);
    let data = st.data();
    let o = data.order(id, Family::V2)?;
    Ok(Json(json!([view(&root, o)])).into_response())
}

fn address_of(o: &Order, raw: &str) -> Result<(), ApiError> {
    match raw.parse::<u64>() {
        Ok(a) if a == shipping_address_id(o) => Ok(()),
        _ => Err(ApiError::not_found(Family::V2)),
    }
}

async fn one(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((_, _, address)): Path<(String, String, String)>,
    Id(id): Id,
) -> Result<Response, ApiError> {
    let root = api_root(&st, &headers);
    let data = st.data();
    let o = data.order(id, Family::V2)?;
    address_of(o, &address)?;
    Ok(Json(view(&root, o)).into_response())
}

/// The writable fields of `shippingAddress_Put`; anything else is refused as BigCommerce does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddressPut {
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    street_1: Option<String>,
    street_2: Option<String>,
    city: Option<String>,
    zip: Option<String>,
    country: Option<String>,
    country_iso2: Option<String>,
    state: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

async fn update(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Path((_, _, address)): Path<(String, String, String)>,
    Id(id): Id,
    body: Bytes,
) -> Result<Response, ApiError> {
    let f = Family::V2;
    let put: AddressPut = parse_body(&body, f).map_err(|e| ApiError {
        status: StatusCode::BAD_REQUEST,
        ..e
    })?;
    if let Some(c) = &put.country_iso2 {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ApiError::new(
                f,
                StatusCode::BAD_REQUEST,
                "The field 'country_iso2' must be a two-letter ISO 3166 code.",
            ));
        }
    }
    let root = api_root(&st, &headers);
    let mut data = st.data();
    let o = data.order_mut(id).ok_or_else(|| ApiError::not_found(f))?;
    address_of(o, &address)?;
    let mut a = ship_to(o).clone();
    let set = |field: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *field = v;
        }
    };
    set(&mut a.first_name, put.first_name);
    set(&mut a.last_name, put.last_name);
    set(&mut a.company, put.company);
    set(&mut a.street_1, put.street_1);
    set(&mut a.street_2, put.street_2);
    set(&mut a.city, put.city);
    set(&mut a.zip, put.zip);
    set(&mut a.country, put.country);
    set(&mut a.country_iso2, put.country_iso2);
    set(&mut a.state, put.state);
    set(&mut a.email, put.email);
    set(&mut a.phone, put.phone);
    o.shipping_address = Some(a);
    o.date_modified = Some(chrono::Utc::now());
    let o = o.clone();
    Ok(Json(view(&root, &o)).into_response())
}
