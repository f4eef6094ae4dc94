//! What the three action functions share: request ids, the repeat check before validation, and
//! turning answers into responses.

use crate::actions::input::FieldError;
use crate::actions::ledger::{Answer, Ledger, State};
use crate::app::{ActionApp, ACTION_DEADLINE};
use crate::bigcommerce::Client;
use crate::config::StoreConfig;
use crate::http::{json_response, ApiError, Incoming};
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

/// Which half of an action a request is.
pub enum ActionRoute<T> {
    /// `GET …/{collection}/{id}/{action}`
    Form(T),
    /// `POST …/{collection}/{id}/{action}/{requestId}`
    Submit(T, String),
}

/// Routes the two paths every action has; `parse` reads the id, `what` explains a bad one.
pub fn action_route<T>(
    inc: &Incoming,
    collection: &str,
    action: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<ActionRoute<T>, ApiError> {
    let seg = inc.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let id = |raw: &str| {
        parse(raw).ok_or_else(|| ApiError::BadRequest {
            message: "invalid id".into(),
            detail: what.into(),
        })
    };
    match (inc.method.as_str(), seg.as_slice()) {
        ("GET", [.., c, raw, a]) if *c == collection && *a == action => {
            Ok(ActionRoute::Form(id(raw)?))
        }
        ("POST", [.., c, raw, a, rid])
            if *c == collection && *a == action && valid_request_id(rid) =>
        {
            Ok(ActionRoute::Submit(id(raw)?, rid.to_string()))
        }
        (m, [.., c, _, a]) | (m, [.., c, _, a, _])
            if *c == collection && *a == action && m != "GET" && m != "POST" =>
        {
            Err(ApiError::MethodNotAllowed)
        }
        _ => Err(ApiError::NotFound(format!(
            "no route for {} {}",
            inc.method, inc.path
        ))),
    }
}
