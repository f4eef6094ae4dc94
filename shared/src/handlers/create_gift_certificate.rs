//! `GET /customers/{customerId}/gift-certificate` (the form) and
//! `POST /customers/{customerId}/gift-certificate/{requestId}`.

use super::action_common::{serve, store_facts, submit_once, ActionDef};
use crate::actions::fields;
use crate::actions::gift_certificate::{form, input, run};
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::bigcommerce::{BcError, CustomerQuery, OrderQuery, Store};
use crate::config::StoreConfig;
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError};
use crate::ids::{RequestId, ShopperId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

const DEF: ActionDef<ShopperId> = ActionDef {
    function: "create-gift-certificate",
    collection: "customers",
    action: "gift-certificate",
    kind: ActionKind::GiftCertificate,
    parse: ShopperId::parse,
    what: "customerId must be a BigCommerce customer id or guest:<email>",
};

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    serve(
        app,
        req,
        &DEF,
        |cfg, id| form(app, cfg, id),
        |cfg, id, rid, body, started| submit(app, cfg, id, rid, body, started),
    )
    .await
}

async fn form<L: Ledger>(
    app: &ActionApp<L>,
    cfg: StoreConfig,
    who: ShopperId,
) -> Result<Response<Body>, ApiError> {
    let who = &who;
    let rails = cfg.guardrails.clone();
    let cfg_for_facts = cfg.clone();
    let until = Instant::now() + LOOKUP_DEADLINE;
    // Prefilled with who the shopper is: the account, or a guest's latest order.
    let found = app
        .app
        .with_store(cfg, until, move |store, _| async move {
            Ok::<_, BcError>(match who {
                ShopperId::Registered(id) => store
                    .customers(&CustomerQuery::Ids(vec![id.0]))
                    .await?
                    .into_iter()
                    .next()
                    .map(|c| (format!("{} {}", c.first_name, c.last_name), c.email)),
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
                    Some((name, email.clone()))
                }
            })
        })
        .await?;
    let Some((name, email)) = found else {
        return Err(ApiError::NotFound("no such customer".into()));
    };
    let facts = store_facts(app, &cfg_for_facts).await;
    let form = form::gift_form(
        who,
        name.trim(),
        &email,
        &rails,
        &facts,
        &fields::new_request_id(),
    );
    Ok(json_response(200, &form))
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    cfg: StoreConfig,
    who: ShopperId,
    rid: RequestId,
    body: Vec<u8>,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let rid = &rid;
    let wanted = match input::parse(&body) {
        Ok(w) => w,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let (cfg, wanted, shopper) = (&cfg, &wanted, &who);
    let scope = Scope::GiftCertificate(who.clone());
    let rails = &cfg.guardrails;
    Ok(
        submit_once(app, cfg, started, rid, &scope, move |store, _| async move {
            run::create(&store, shopper, wanted, rails, rid).await
        })
        .await,
    )
}
