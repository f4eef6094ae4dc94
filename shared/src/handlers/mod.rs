//! One handler per function: request in, response out, every error already turned into its
//! status. `functions/*/src/main.rs` only wire these to the Lambda runtime.

pub mod action;
pub mod lookup_customer;
pub mod lookup_orders;

/// Each action function's handler: the one generic handler over its action's definition.
macro_rules! action_function {
    ($($module:ident: $action:ty),* $(,)?) => {$(
        pub mod $module {
            use crate::actions::ledger::Ledger;
            use crate::app::ActionApp;
            use lambda_http::{Body, Request, Response};

            pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
                super::action::handle::<$action, L>(app, req).await
            }
        }
    )*};
}

action_function!(
    cancel_order: crate::actions::cancel::Cancel,
    refund_order: crate::actions::refund::Refund,
    create_discount: crate::actions::discount::Discount,
    update_address: crate::actions::address::Address,
    create_gift_certificate: crate::actions::gift_certificate::GiftCertificate,
    add_order_note: crate::actions::note::Note,
    create_replacement: crate::actions::replacement::Replacement,
    add_store_credit: crate::actions::store_credit::StoreCredit,
);

use crate::http::{ApiError, Incoming};
use lambda_http::{Body, Response};
use std::time::Instant;
use tracing::Instrument;

/// Runs a handler body inside the request's span (Gladly's correlation and trace ids, Lambda's
/// request id: on every log line of the request), then logs one summary line and writes one
/// EMF metrics line. Neither ever holds the raw path, a body or a header other than those ids.
pub(crate) async fn respond<F>(name: &'static str, inc: &Incoming, f: F) -> Response<Body>
where
    F: std::future::Future<Output = Result<Response<Body>, ApiError>>,
{
    let t = &inc.trace;
    let span = tracing::info_span!(
        "request",
        function = name,
        correlation_id = t.correlation_id.as_deref(),
        trace_id = t.trace_id.as_deref(),
        lambda_request_id = t.lambda_request_id.as_deref(),
    );
    let started = Instant::now();
    // Boxed: a handler's future is large, and tests run many side by side on one stack.
    let f = Box::pin(f);
    let work = async {
        match f.await {
            Ok(r) => r,
            Err(e) => {
                if e.status() >= 500 {
                    // BigCommerce's own words may quote a shopper's email.
                    let error = crate::mapping::mask::emails_in(&e.to_string());
                    tracing::error!(error, "request failed");
                }
                e.into_response()
            }
        }
    };
    let (resp, stats) = crate::telemetry::gather(work.instrument(span.clone())).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    let route = if stats.route.is_empty() {
        "unrouted"
    } else {
        stats.route.as_str()
    };
    span.in_scope(|| {
        tracing::info!(
            route,
            status,
            ms,
            level = stats.level,
            bc_calls = stats.bc_calls,
            bc_quota_left = stats.quota_left,
            left_out = ?stats.left_out,
            held_back = stats.held_back,
            cache_hits = stats.cache_hits,
            cache_misses = stats.cache_misses,
            share_used = stats.share_used,
            action = stats.action.map(|a| a.0),
            outcome = stats.action.map(|a| a.1),
            "answered"
        )
    });
    crate::telemetry::emit(&crate::telemetry::emf_line(
        name,
        status,
        ms,
        &stats,
        chrono::Utc::now().timestamp_millis(),
    ));
    resp
}
