//! `GET /v3/inventory/locations` (one default location, id 1) and
//! `POST /v3/inventory/adjustments/relative`: stock per (location, variant), changed only by
//! adjustments. Variants are the catalog's (`variant_id` = product id × 10).

use crate::errors::{ApiError, Family};
use crate::request::{parse_body, Params};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub const DEFAULT_LOCATION: u64 = 1;
/// Every variant starts with this much stock at the default location.
pub const STARTING_STOCK: i64 = 20;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v3/inventory/locations", get(locations))
        .route("/v3/inventory/adjustments/relative", post(adjust))
}

async fn locations(RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q, Family::V3)?;
    let want_default = p.get("is_default").map(|v| v == "true");
    let location = json!({
        "id": DEFAULT_LOCATION, "code": "BC-MAIN", "label": "Main warehouse",
        "description": "The store's default location", "managed_by_external_source": false,
        "type_id": "PHYSICAL", "enabled": true, "time_zone": "Etc/UTC",
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        "storefront_visibility": true, "special_hours": [],
    });
    let data = if want_default == Some(false) {
        vec![]
    } else {
        vec![location]
    };
    let n = data.len();
    Ok(Json(json!({ "data": data, "meta": { "pagination": {
        "total": n, "count": n, "per_page": 50, "current_page": 1, "total_pages": 1
    } } }))
    .into_response())
}

#[derive(Debug, Deserialize)]
struct Adjustment {
    #[serde(default)]
    reason: String,
    items: Vec<AdjustmentItem>,
}

#[derive(Debug, Deserialize)]
struct AdjustmentItem {
    location_id: u64,
    variant_id: Option<u64>,
    quantity: i64,
}

fn unprocessable(title: String) -> ApiError {
    ApiError::new(Family::V3, StatusCode::UNPROCESSABLE_ENTITY, title)
}

async fn adjust(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let a: Adjustment = parse_body(&body, Family::V3)?;
    if a.items.is_empty() {
        return Err(unprocessable("items must not be empty".into()));
    }
    let mut data = st.data();
    for it in &a.items {
        if it.location_id != DEFAULT_LOCATION {
            return Err(unprocessable(format!(
                "Location {} does not exist",
                it.location_id
            )));
        }
        let known = it
            .variant_id
            .is_some_and(|v| data.products.iter().any(|p| !p.deleted && p.has_variant(v)));
        if !known {
            return Err(unprocessable(
                "Each item needs a variant_id of this store".to_string(),
            ));
        }
    }
    for it in &a.items {
        let v = it.variant_id.unwrap_or(0);
        *data
            .stock
            .entry((it.location_id, v))
            .or_insert(STARTING_STOCK) += it.quantity;
    }
    let id = data.next_id();
    let _ = a.reason;
    Ok(Json(json!({ "transaction_id": format!("sbx-{id}") })).into_response())
}
