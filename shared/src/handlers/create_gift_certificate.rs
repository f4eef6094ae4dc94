//! `GET /customers/{customerId}/gift-certificate` (the form) and
//! `POST /customers/{customerId}/gift-certificate/{requestId}`.

use super::action_common::{action_client, action_route, submit_once, switched_off, ActionRoute};
use super::respond;
use crate::actions::fields;
use crate::actions::gift_certificate::{form, input, run};
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::app::ActionApp;
use crate::bigcommerce::{CustomerQuery, OrderQuery, Store};
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError, Incoming};
use crate::ids::{RequestId, ShopperId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let inc = Incoming::from_request(req);
    respond("create-gift-certificate", &inc, route(app, &inc, started)).await
}

async fn route<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let what = "customerId must be a BigCommerce customer id or guest:<email>";
    match action_route(inc, "customers", "gift-certificate", ShopperId::parse, what)? {
        ActionRoute::Form(who) => form(app, inc, &who).await,
        ActionRoute::Submit(who, rid) => submit(app, inc, who, &rid, started).await,
    }
}

async fn form<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    who: &ShopperId,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    if let Some(off) = switched_off(&cfg, ActionKind::GiftCertificate) {
        return Ok(off);
    }
    let store = app
        .app
        .client(&cfg, Instant::now() + crate::app::LOOKUP_DEADLINE)?;
    // Prefilled with who the shopper is: the account, or a guest's latest order.
    let (name, email) = match who {
        ShopperId::Registered(id) => {
            let found = store.customers(&CustomerQuery::Ids(vec![id.0])).await?;
            let Some(c) = found.into_iter().next() else {
                return Err(ApiError::NotFound(format!("customer {id} does not exist")));
            };
            (format!("{} {}", c.first_name, c.last_name), c.email)
        }
        ShopperId::Guest(email) => {
            let q = OrderQuery {
                email: Some(email.clone()),
                limit: 1,
                ..OrderQuery::default()
            };
            let name = store
                .orders(&q)
                .await?
                .into_iter()
                .next()
                .map(|o| {
                    format!(
                        "{} {}",
                        o.billing_address.first_name, o.billing_address.last_name
                    )
                })
                .unwrap_or_default();
            (name, email.clone())
        }
    };
    let form = form::gift_form(
        who,
        name.trim(),
        &email,
        &cfg.guardrails,
        &fields::new_request_id(),
    );
    Ok(json_response(200, &form))
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    who: ShopperId,
    rid: &RequestId,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    if let Some(off) = switched_off(&cfg, ActionKind::GiftCertificate) {
        return Ok(off);
    }
    let wanted = match input::parse(&inc.body) {
        Ok(w) => w,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let (cfg, wanted, shopper) = (&cfg, &wanted, &who);
    let scope = Scope::GiftCertificate(who.clone());
    Ok(
        submit_once(app, cfg, started, rid, &scope, |turn| async move {
            match action_client(app, cfg, turn.deadline) {
                Ok(store) => run::create(&store, shopper, wanted, &cfg.guardrails, rid).await,
                Err(o) => o,
            }
        })
        .await,
    )
}
