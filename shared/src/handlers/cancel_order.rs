//! `GET /orders/{orderId}/cancel` (the form) and `POST /orders/{orderId}/cancel/{requestId}`.

use super::action_common::{
    action_client, action_route, settle_before_form, submit_once, switched_off, ActionRoute,
};
use super::respond;
use crate::actions::cancel::{form, input, policy, policy::CancelPlan, run};
use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::actions::refund::policy::Refundable;
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
    respond("cancel-order", &inc, route(app, &inc, started)).await
}

async fn route<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    match action_route(
        inc,
        "orders",
        "cancel",
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
    if let Some(off) = switched_off(&cfg, ActionKind::Cancel) {
        return Ok(off);
    }
    let settled = match settle_before_form(app, &cfg, id).await {
        Ok(s) => s,
        Err(resp) => return Ok(resp),
    };
    let earlier = fields::settled_notes(&settled);
    let store = app
        .app
        .client(&cfg, Instant::now() + crate::app::LOOKUP_DEADLINE)?;
    let order = store
        .order(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    let plan = match policy::cancel_plan(&order) {
        Ok(p) => p,
        Err(why) => return Ok(outcome_response(&Outcome::refused(why, earlier.join(" ")))),
    };
    let refundable = if plan == CancelPlan::RefundThenCancel {
        Some(Refundable::of(&order, &store.refunds(id).await?))
    } else {
        None
    };
    let form = form::cancel_form(
        id,
        plan,
        refundable.as_ref(),
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
    if let Some(off) = switched_off(&cfg, ActionKind::Cancel) {
        return Ok(off);
    }
    let wanted = match input::parse(&inc.body) {
        Ok(w) => w,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let (cfg, wanted) = (&cfg, &wanted);
    Ok(submit_once(
        app,
        cfg,
        started,
        rid,
        &Scope::Cancel(id),
        |turn| async move {
            match action_client(app, cfg, turn.deadline) {
                Ok(store) => {
                    run::cancel(
                        &store,
                        &app.ledger,
                        id,
                        wanted,
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
