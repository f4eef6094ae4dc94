//! One handler per function: request in, response out, every error already turned into its
//! status. `functions/*/src/main.rs` only wire these to the Lambda runtime.

mod action_common;
pub mod cancel_order;
pub mod create_discount;
pub mod create_gift_certificate;
pub mod lookup_customer;
pub mod lookup_orders;
pub mod refund_order;
pub mod update_address;

use crate::http::{ApiError, Incoming};
use lambda_http::{Body, Response};
use std::time::Instant;

/// Runs a handler body and logs one line per request (never the body or headers).
pub(crate) async fn respond<F>(name: &'static str, inc: &Incoming, f: F) -> Response<Body>
where
    F: std::future::Future<Output = Result<Response<Body>, ApiError>>,
{
    let started = Instant::now();
    let resp = match f.await {
        Ok(r) => r,
        Err(e) => {
            if e.status() >= 500 {
                tracing::error!(function = name, error = %e, "request failed");
            }
            e.into_response()
        }
    };
    tracing::info!(
        function = name,
        method = %inc.method,
        path = %inc.path,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    resp
}
