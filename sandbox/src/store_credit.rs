//! Customers' store credit as BigCommerce's v3 customers API keeps it (`customers.v3.yml`): an
//! absolute amount per customer, read with `GET /v3/customers?id:in=…&include=storecredit` and set
//! with `PUT /v3/customers` (`[{id, store_credit_amounts: [{amount}], notes}]`, at most 10
//! customers; an item's credit and notes are applied together, as one write).
//! The control `POST /__sandbox/customers/{id}/store_credit` changes a balance out of band: now,
//! or around the next write to that customer (the shopper spending credit at checkout between an
//! app's read and write, or right after its write).

use crate::errors::{ApiError, Family};
use crate::request::{decimal_of, parse_body};
use crate::state::AppState;
use crate::views;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// BigCommerce's `PUT /v3/customers` takes at most this many customers.
pub const MAX_PER_PUT: usize = 10;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v3/customers", put(update))
}

/// The test control, mounted beside the other `/__sandbox/` routes.
pub fn controls() -> Router<Arc<AppState>> {
    Router::new().route(
        "/__sandbox/customers/{id}/store_credit",
        post(set_out_of_band),
    )
}

/// When a scheduled out-of-band change lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    Now,
    /// Just before the next `PUT /v3/customers` for the customer is applied (a lost update).
    BeforeNextWrite,
    /// Just after it is applied and answered from (a read-back sees the change).
    AfterNextWrite,
}

#[derive(Debug, Clone)]
pub struct PendingCredit {
    pub customer_id: u64,
    pub amount: Decimal,
    pub when: When,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerPut {
    id: u64,
    #[serde(default)]
    store_credit_amounts: Option<Vec<AmountIn>>,
    /// `customer_Put.notes`: replaces the customer's notes, in the same write as the credit.
    #[serde(default)]
    notes: Option<String>,
    /// `customer_Put.email`: the shopper's new login email.
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountIn {
    amount: Value,
}

fn unprocessable(message: impl Into<String>, field: &str, why: &str) -> ApiError {
    ApiError::new(Family::V3, StatusCode::UNPROCESSABLE_ENTITY, message).with_field(field, why)
}

/// `amount` is a JSON number (`format: float`), never a string.
fn amount_of(v: &Value) -> Option<Decimal> {
    decimal_of(v, false).filter(|d| *d >= Decimal::ZERO)
}

async fn update(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let list: Vec<CustomerPut> = parse_body(&body, Family::V3)?;
    if list.len() > MAX_PER_PUT {
        return Err(ApiError::new(
            Family::V3,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The request payload is too large. The maximum number of items allowed in the array is {MAX_PER_PUT}."),
        ));
    }
    if list.is_empty() {
        return Err(unprocessable(
            "At least one customer is required.",
            "body",
            "empty",
        ));
    }
    // One store credit per customer: `[{amount}]` holds the new balance, a number ≥ 0.
    let mut changes = Vec::with_capacity(list.len());
    for (n, c) in list.iter().enumerate() {
        let amount = match c.store_credit_amounts.as_deref() {
            None => None,
            Some([one]) => Some(amount_of(&one.amount).ok_or_else(|| {
                unprocessable(
                    "store_credit_amounts.amount must be a number of at least 0.",
                    &format!("{n}.store_credit_amounts.0.amount"),
                    "invalid",
                )
            })?),
            Some(_) => {
                return Err(unprocessable(
                    "store_credit_amounts must hold exactly one amount.",
                    &format!("{n}.store_credit_amounts"),
                    "invalid",
                ))
            }
        };
        changes.push((c, amount));
    }
    let mut data = st.data();
    for (n, (c, _)) in changes.iter().enumerate() {
        let id = c.id;
        if !data.customers.iter().any(|o| o.id == id) {
            return Err(unprocessable(
                format!("Customer {id} does not exist."),
                &format!("{n}.id"),
                "not found",
            ));
        }
        if let Some(e) = &c.email {
            let taken = data
                .customers
                .iter()
                .any(|o| o.id != id && o.email.eq_ignore_ascii_case(e.trim()));
            if !e.contains('@') || taken {
                return Err(unprocessable(
                    "email must be an email no other customer has.",
                    &format!("{n}.email"),
                    "invalid",
                ));
            }
        }
    }
    let ids: Vec<u64> = changes.iter().map(|(c, _)| c.id).collect();
    apply_pending(&mut data, &ids, When::BeforeNextWrite);
    // Every customer written is modified, as BigCommerce stamps a PUT whatever it changed.
    for (put, amount) in &changes {
        let Some(c) = data.customers.iter_mut().find(|c| c.id == put.id) else {
            continue;
        };
        if let Some(a) = amount {
            c.store_credit = *a;
        }
        if let Some(n) = &put.notes {
            c.notes = n.clone();
        }
        if let Some(e) = &put.email {
            c.email = e.trim().to_string();
        }
        c.touch();
    }
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|id| data.customers.iter().find(|c| c.id == *id))
        .map(|c| views::customer(c, false, true))
        .collect();
    apply_pending(&mut data, &ids, When::AfterNextWrite);
    Ok(Json(json!({ "data": items, "meta": {} })).into_response())
}

/// Lands the scheduled changes of `when` for these customers, each once.
fn apply_pending(data: &mut crate::state::Data, ids: &[u64], when: When) {
    let (due, keep): (Vec<PendingCredit>, Vec<PendingCredit>) = data
        .pending_credit
        .drain(..)
        .partition(|p| p.when == when && ids.contains(&p.customer_id));
    data.pending_credit = keep;
    for p in due {
        if let Some(c) = data.customers.iter_mut().find(|c| c.id == p.customer_id) {
            c.store_credit = p.amount;
            c.touch();
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutOfBand {
    /// The new balance (absolute, as the shopper's checkout leaves it).
    amount: Decimal,
    #[serde(default = "now")]
    when: When,
}

fn now() -> When {
    When::Now
}

async fn set_out_of_band(
    State(st): State<Arc<AppState>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    let req: OutOfBand = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": e.to_string() })),
            )
                .into_response()
        }
    };
    if req.amount < Decimal::ZERO {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "amount must be at least 0" })),
        )
            .into_response();
    }
    let mut data = st.data();
    let Some(c) = data.customers.iter_mut().find(|c| c.id == id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no customer {id}") })),
        )
            .into_response();
    };
    if req.when == When::Now {
        c.store_credit = req.amount;
        c.touch();
    } else {
        data.pending_credit.push(PendingCredit {
            customer_id: id,
            amount: req.amount,
            when: req.when,
        });
    }
    StatusCode::NO_CONTENT.into_response()
}
