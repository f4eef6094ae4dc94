//! `GET /customers/{customerId}/discount` (the form) and
//! `POST /customers/{customerId}/discount/{requestId}`.

use super::action_common::{
    act_with_fresh_token, action_route, submit_once, switched_off, ActionRoute,
};
use super::respond;
use crate::actions::discount::{form, input, run};
use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::config::StoreConfig;
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError, Incoming};
use crate::ids::{RequestId, ShopperId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let inc = Incoming::from_request(req);
    respond("create-discount", &inc, route(app, &inc, started)).await
}

async fn route<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc, started + LOOKUP_DEADLINE).await?;
    let what = "customerId must be a BigCommerce customer id or guest:<email>";
    let route = action_route(inc, "customers", "discount", ShopperId::parse, what)?;
    if let Some(off) = switched_off(&cfg, ActionKind::Discount) {
        return Ok(off);
    }
    match route {
        ActionRoute::Form(who) => Ok(json_response(
            200,
            &form::discount_form(&who, &fields::new_request_id()),
        )),
        ActionRoute::Submit(who, rid) => submit(app, inc, cfg, who, &rid, started).await,
    }
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    cfg: StoreConfig,
    who: ShopperId,
    rid: &RequestId,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let wanted = match input::parse(&inc.body) {
        Ok(w) => w,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let (cfg, wanted, shopper) = (&cfg, &wanted, &who);
    let scope = Scope::Discount(who.clone());
    Ok(submit_once(app, cfg, started, rid, &scope, |turn| {
        act_with_fresh_token(
            app,
            cfg,
            turn.deadline,
            turn.settle,
            move |store, _| async move { run::discount(&store, shopper, wanted, rid).await },
        )
    })
    .await)
}
