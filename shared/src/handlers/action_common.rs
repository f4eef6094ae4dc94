//! What the three action functions share: request ids, the repeat check before validation, and
//! turning answers into responses.

use crate::actions::input::FieldError;
use crate::actions::ledger::{Answer, Ledger, State};
use crate::app::{ActionApp, ACTION_DEADLINE};
use crate::bigcommerce::Client;
use crate::config::StoreConfig;
use crate::http::{json_response, ApiError};
use lambda_http::{Body, Response};
use serde_json::json;
use tokio::time::Instant;

/// Ids we mint are 32 hex characters; callers of the plain JSON API may bring their own.
pub fn valid_request_id(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn answer(a: Answer) -> Response<Body> {
    json_response(a.status, &a.body)
}

pub fn invalid(errors: Vec<FieldError>) -> Response<Body> {
    json_response(400, &json!({ "errors": errors }))
}

pub fn not_possible(message: impl Into<String>) -> Response<Body> {
    json_response(406, &json!({ "errors": [{ "message": message.into() }] }))
}

fn ledger_down(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "idempotency table");
    ApiError::Unavailable("the idempotency table is unavailable; nothing was changed".into())
}

/// A request id that already has an answer gets it again, before any validation: the order
/// has changed since (that was the point), so the form's input would no longer fit.
pub async fn earlier_answer<L: Ledger>(
    app: &ActionApp<L>,
    request_id: &str,
    scope: &str,
) -> Result<Option<Response<Body>>, ApiError> {
    match app.ledger.read(request_id).await.map_err(ledger_down)? {
        Some(r) if r.scope != scope => Ok(Some(not_possible(
            "This form was opened for a different action; close it and open it again.",
        ))),
        Some(r) => match r.state {
            State::Done(a) => Ok(Some(answer(a))),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

pub fn client<L>(app: &ActionApp<L>, cfg: &StoreConfig) -> Result<Client, ApiError> {
    app.app.client(cfg, Instant::now() + ACTION_DEADLINE)
}

pub async fn run_once<L, F, Fut>(
    app: &ActionApp<L>,
    request_id: &str,
    scope: &str,
    act: F,
) -> Result<Response<Body>, ApiError>
where
    L: Ledger,
    F: Fn(bool) -> Fut,
    Fut: std::future::Future<Output = crate::actions::run::Outcome>,
{
    let a = crate::actions::run::once(&app.ledger, request_id, scope, act)
        .await
        .map_err(ledger_down)?;
    tracing::info!(scope, status = a.status, "action answered");
    Ok(answer(a))
}
