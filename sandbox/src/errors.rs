//! BigCommerce's error bodies, which differ by API family.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Which of BigCommerce's error shapes a path answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `[{"status": 404, "message": "…"}]`
    V2,
    /// `{"status", "title", "type", "errors": {field: msg}}`
    V3,
    /// `{"errors": [{"status", "title"}]}`
    Promotions,
}

impl Family {
    /// The family of a path below `/stores/{hash}`.
    pub fn of_path(path: &str) -> Family {
        if path.contains("/v3/promotions") {
            Family::Promotions
        } else if path.contains("/v2/") {
            Family::V2
        } else {
            Family::V3
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub family: Family,
    pub message: String,
    /// v3 `errors` object: field name to message.
    pub fields: Value,
    /// v2 `details` (what BigCommerce refused and why), when there is one.
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(family: Family, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            family,
            message: message.into(),
            fields: json!({}),
            details: None,
        }
    }

    /// v2 `details`: `{"errors": [{"type": "OutOfStock", "product": {…}}]}`.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_field(mut self, field: &str, msg: &str) -> Self {
        if let Some(map) = self.fields.as_object_mut() {
            map.insert(field.to_string(), Value::String(msg.to_string()));
        }
        self
    }

    pub fn not_found(family: Family) -> Self {
        Self::new(
            family,
            StatusCode::NOT_FOUND,
            "The requested resource was not found.",
        )
    }

    pub fn body(&self) -> Value {
        let code = self.status.as_u16();
        match self.family {
            Family::V2 => match &self.details {
                Some(d) => json!([{ "status": code, "message": self.message, "details": d }]),
                None => json!([{ "status": code, "message": self.message }]),
            },
            Family::V3 => json!({
                "status": code,
                "title": self.message,
                "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
                "errors": self.fields,
            }),
            Family::Promotions => json!({ "errors": [{ "status": code, "title": self.message }] }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}
