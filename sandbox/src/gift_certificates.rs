//! `POST /v2/gift_certificates` and `GET /v2/gift_certificates?code=…`, in BigCommerce's v2 shape.
//! Created through the API, a certificate sends no email.

use crate::errors::{ApiError, Family};
use crate::formats::money_v2;
use crate::request::{parse_body, Params};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v2/gift_certificates", get(list).post(create))
}

#[derive(Debug, Clone, Serialize)]
pub struct GiftCertificate {
    pub id: u64,
    pub code: String,
    pub amount: Decimal,
    pub currency_code: String,
    pub to_name: String,
    pub to_email: String,
    pub from_name: String,
    pub from_email: String,
    pub message: String,
    pub customer_id: u64,
    pub created: chrono::DateTime<chrono::Utc>,
}

fn view(g: &GiftCertificate) -> serde_json::Value {
    json!({
        "id": g.id, "code": g.code, "amount": money_v2(g.amount), "balance": money_v2(g.amount),
        "currency_code": g.currency_code, "to_name": g.to_name, "to_email": g.to_email,
        "from_name": g.from_name, "from_email": g.from_email, "message": g.message,
        "customer_id": g.customer_id, "order_id": 0, "status": "active", "template": "general.html",
        "purchase_date": g.created.timestamp().to_string(), "expiry_date": "0",
    })
}

#[derive(Debug, Deserialize)]
struct Post {
    to_name: Option<String>,
    to_email: Option<String>,
    from_name: Option<String>,
    from_email: Option<String>,
    amount: Option<serde_json::Value>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    customer_id: Option<u64>,
    #[serde(default)]
    currency_code: Option<String>,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(Family::V2, StatusCode::BAD_REQUEST, message)
}

async fn create(State(st): State<Arc<AppState>>, body: Bytes) -> Result<Response, ApiError> {
    let p: Post = parse_body(&body, Family::V2)?;
    let required = |v: &Option<String>, name: &str| -> Result<String, ApiError> {
        v.as_ref()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(format!("The required field '{name}' was not supplied.")))
    };
    let to_name = required(&p.to_name, "to_name")?;
    let to_email = required(&p.to_email, "to_email")?;
    let from_name = required(&p.from_name, "from_name")?;
    let from_email = required(&p.from_email, "from_email")?;
    let amount = match &p.amount {
        Some(serde_json::Value::String(s)) => Decimal::from_str(s.trim()).ok(),
        Some(serde_json::Value::Number(n)) => Decimal::from_str(&n.to_string()).ok(),
        _ => None,
    }
    .filter(|a| *a > Decimal::ZERO)
    .ok_or_else(|| bad("The field 'amount' must be a positive number."))?;
    if p.message.as_ref().is_some_and(|m| m.chars().count() > 250) {
        return Err(bad("The field 'message' is longer than 250 characters."));
    }
    let mut data = st.data();
    let id = data.next_id();
    // BigCommerce trims codes past 20 characters.
    let code = p
        .code
        .map(|c| c.trim().chars().take(20).collect::<String>())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| format!("SBX-{id:08}"));
    if data
        .gift_certificates
        .iter()
        .any(|g| g.code.eq_ignore_ascii_case(&code))
    {
        return Err(ApiError::new(
            Family::V2,
            StatusCode::CONFLICT,
            format!("A gift certificate with the code '{code}' already exists."),
        ));
    }
    let g = GiftCertificate {
        id,
        code,
        amount,
        currency_code: p.currency_code.unwrap_or_else(|| "USD".into()),
        to_name,
        to_email,
        from_name,
        from_email,
        message: p.message.unwrap_or_default(),
        customer_id: p.customer_id.unwrap_or(0),
        created: chrono::Utc::now(),
    };
    let v = view(&g);
    data.gift_certificates.push(g);
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn list(
    State(st): State<Arc<AppState>>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let p = Params::parse(q, Family::V2)?;
    let code = p.get("code").map(str::to_string);
    let data = st.data();
    let found: Vec<serde_json::Value> = data
        .gift_certificates
        .iter()
        .filter(|g| code.as_ref().is_none_or(|c| g.code.eq_ignore_ascii_case(c)))
        .map(view)
        .collect();
    if found.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(found).into_response())
}
