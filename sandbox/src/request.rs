//! What the route modules share: query parameters, path ids, JSON bodies, links and the
//! list/created answer shapes. Route modules import from here, never from the router.

use crate::errors::{ApiError, Family};
use crate::state::AppState;
use crate::views;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, OriginalUri, RawPathParams};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(raw: Option<String>, family: Family) -> Result<Self, ApiError> {
        let raw = raw.unwrap_or_default();
        serde_urlencoded::from_str::<Vec<(String, String)>>(&raw)
            .map(Params)
            .map_err(|_| {
                ApiError::new(
                    family,
                    StatusCode::BAD_REQUEST,
                    "The query string is malformed.",
                )
            })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn list(&self, key: &str) -> Option<Vec<String>> {
        self.get(key).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    }

    /// A v3 `id:in` list; anything but whole numbers is BigCommerce's 422.
    pub(crate) fn ids(&self, key: &str) -> Result<Option<Vec<u64>>, ApiError> {
        self.list(key)
            .map(|l| l.iter().map(|s| s.parse()).collect::<Result<Vec<u64>, _>>())
            .transpose()
            .map_err(|_| invalid_param(Family::V3, key))
    }

    pub(crate) fn includes(&self, what: &str) -> bool {
        self.list("include")
            .is_some_and(|l| l.iter().any(|i| i == what))
    }

    pub(crate) fn number<T: std::str::FromStr>(
        &self,
        key: &str,
        family: Family,
    ) -> Result<Option<T>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| invalid_param(family, key)),
        }
    }

    pub(crate) fn page_limit(
        &self,
        family: Family,
        default: usize,
        max: usize,
    ) -> Result<(usize, usize), ApiError> {
        let page: usize = self.number("page", family)?.unwrap_or(1);
        let limit: usize = self.number("limit", family)?.unwrap_or(default);
        if page == 0 || limit == 0 {
            return Err(invalid_param(
                family,
                if page == 0 { "page" } else { "limit" },
            ));
        }
        if limit > max {
            let status = if family == Family::V2 {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Err(
                ApiError::new(family, status, format!("The limit may be at most {max}."))
                    .with_field("limit", "too large"),
            );
        }
        Ok((page, limit))
    }
}

pub(crate) fn invalid_param(family: Family, key: &str) -> ApiError {
    let status = if family == Family::V2 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ApiError::new(family, status, format!("The filter '{key}' is invalid."))
        .with_field(key, "invalid value")
}

pub(crate) fn page<T: Clone>(items: &[T], page: usize, limit: usize) -> Vec<T> {
    items
        .iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .cloned()
        .collect()
}

/// The `{id}` of a path; anything but a positive 32-bit id is a 404, as BigCommerce answers.
pub(crate) struct Id(pub(crate) u64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.path().to_string())
            .unwrap_or_default();
        let family = Family::of_path(&path);
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found(family))?;
        params
            .iter()
            .find(|(k, _)| *k == "id")
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .filter(|id| *id > 0 && *id <= i32::MAX as u64)
            .map(Id)
            .ok_or_else(|| ApiError::not_found(family))
    }
}

pub(crate) fn parse_body<T: for<'de> Deserialize<'de>>(
    body: &Bytes,
    family: Family,
) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            family,
            StatusCode::BAD_REQUEST,
            "The request body is not valid JSON.",
        )
    })?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            family,
            StatusCode::UNPROCESSABLE_ENTITY,
            "The request body is invalid.",
        )
        .with_field("body", &e.to_string())
    })
}

pub(crate) fn api_root(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}/stores/{}", state.store.hash)
}

/// A v3 `201 {data, meta}` answer.
pub(crate) fn created(data: Value) -> Response {
    (
        StatusCode::CREATED,
        Json(json!({ "data": data, "meta": {} })),
    )
        .into_response()
}

/// One page of a v3 list, with `meta.pagination`.
pub(crate) fn listed(items: Vec<Value>, total: usize, limit: usize, page_no: usize) -> Response {
    let count = items.len();
    Json(json!({ "data": items, "meta": views::pagination(total, count, limit, page_no) }))
        .into_response()
}

/// v2 answers an empty list with 204 and no body.
pub(crate) fn v2_list(items: Vec<Value>) -> Response {
    if items.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(Value::Array(items)).into_response()
    }
}

/// A JSON number (or, with `strings`, a numeric string) as a decimal, without going through f64.
pub(crate) fn decimal_of(v: &Value, strings: bool) -> Option<rust_decimal::Decimal> {
    use std::str::FromStr;
    match v {
        Value::String(s) if strings => rust_decimal::Decimal::from_str(s.trim()).ok(),
        Value::Number(n) => {
            let text = n.to_string();
            rust_decimal::Decimal::from_str(&text)
                .or_else(|_| rust_decimal::Decimal::from_scientific(&text))
                .ok()
        }
        _ => None,
    }
}
