//! `GET /orders/{orderId}/refund` (the form) and `POST /orders/{orderId}/refund/{requestId}`.

use super::action_common::{
    action_client, action_route, settle_before_form, submit_once, switched_off, ActionRoute,
};
use super::respond;
use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::actions::refund::{form, policy, policy::Refundable, run};
use crate::app::ActionApp;
use crate::bigcommerce::{Store, StoreActions};
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError, Incoming};
use crate::ids::{OrderId, RequestId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let inc = Incoming::from_request(req);
    respond("refund-order", &inc, route(app, &inc, started)).await
}

async fn route<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    match action_route(
        inc,
        "orders",
        "refund",
        OrderId::parse,
        "orderId must be a BigCommerce order id",
    )? {
        ActionRoute::Form(id) => form(app, inc, id).await,
        ActionRoute::Submit(id, rid) => submit(app, inc, id, &rid, started).await,
    }
}

async fn form<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    id: OrderId,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    if let Some(off) = switched_off(&cfg, ActionKind::Refund) {
        return Ok(off);
    }
    let settled = match settle_before_form(app, &cfg, id).await {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    let store = app
        .app
        .client(&cfg, Instant::now() + crate::app::LOOKUP_DEADLINE)?;
    let (order, refunds) = tokio::join!(store.order(id), store.refunds(id));
    let order = order?.ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    let earlier = fields::settled_notes(&settled);
    if let Err(why) = policy::refund_allowed(&order) {
        return Ok(outcome_response(&Outcome::refused(why, earlier.join(" "))));
    }
    let refunds = refunds?;
    let r = Refundable::of(&order, &refunds);
    if r.total_left <= rust_decimal::Decimal::ZERO {
        return Ok(outcome_response(&Outcome::refused(
            format!("Nothing remains refundable on order #{id}."),
            earlier.join(" "),
        )));
    }
    let past = form::history(&order, &refunds, &r);
    let form = form::refund_form(
        id,
        &r,
        order.customer_id != 0,
        &past,
        cfg.guardrails.restock_default,
        &fields::new_request_id(),
    );
    Ok(json_response(200, &fields::with_notes(form, &earlier)))
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    id: OrderId,
    rid: &RequestId,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    if let Some(off) = switched_off(&cfg, ActionKind::Refund) {
        return Ok(off);
    }
    let body = inc.body.as_slice();
    let cfg = &cfg;
    Ok(submit_once(
        app,
        cfg,
        started,
        rid,
        &Scope::Refund(id),
        |turn| async move {
            match action_client(app, cfg, turn.deadline) {
                Ok(store) => {
                    run::refund(
                        &store,
                        &app.ledger,
                        id,
                        body,
                        rid,
                        turn.settle,
                        &cfg.guardrails,
                    )
                    .await
                }
                Err(o) => o,
            }
        },
    )
    .await)
}
