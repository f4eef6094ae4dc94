//! `GET /customers/{customerId}/discount` (the form) and
//! `POST /customers/{customerId}/discount/{requestId}`.

use super::action_common::{serve, store_facts, submit_once, ActionDef};
use crate::actions::discount::{form, input, run};
use crate::actions::fields::{self, FieldError};
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::app::ActionApp;
use crate::bigcommerce::{CustomerQuery, Store};
use crate::config::StoreConfig;
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError};
use crate::ids::{RequestId, ShopperId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

const DEF: ActionDef<ShopperId> = ActionDef {
    function: "create-discount",
    collection: "customers",
    action: "discount",
    kind: ActionKind::Discount,
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
    let mut form = form::discount_form(&who, &fields::new_request_id());
    let storefronts = shopper_storefronts(app, &cfg, &who).await;
    form::add_storefront_choice(&mut form, &storefronts);
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
    let mut wanted = match input::parse(&body) {
        Ok(w) => w,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let facts = store_facts(app, &cfg).await;
    wanted.store_utc_offset = facts.utc_offset;
    for (id, name) in &mut wanted.storefronts {
        match facts.storefront(*id) {
            Some(s) => name.clone_from(&s.name),
            None => {
                return Ok(outcome_response(&Outcome::invalid(vec![FieldError {
                    attr: "storefronts".into(),
                    code: "invalid".into(),
                    detail: format!("This store has no storefront {id}; pick one from the list"),
                }])))
            }
        }
    }
    let (cfg, wanted, shopper) = (&cfg, &wanted, &who);
    let scope = Scope::Discount(who.clone());
    Ok(
        submit_once(app, cfg, started, rid, &scope, move |store, _| async move {
            run::discount(&store, shopper, wanted, rid).await
        })
        .await,
    )
}

/// The storefronts a discount for this shopper can be limited to, as (channel id, name): a
/// registered customer's own (their `channel_ids`), a guest's any. Empty for a store with one
/// storefront, where the form offers no choice.
async fn shopper_storefronts<L: Ledger>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    who: &ShopperId,
) -> Vec<(u64, String)> {
    let facts = store_facts(app, cfg).await;
    if !facts.multi_storefront() {
        return Vec::new();
    }
    let all = || {
        facts
            .storefronts
            .iter()
            .map(|s| (s.channel_id, s.name.clone()))
            .collect::<Vec<_>>()
    };
    let ShopperId::Registered(id) = who else {
        return all();
    };
    let until = crate::app::deadline();
    let found = match app.app.client(cfg, until) {
        Ok(client) => client.customers(&CustomerQuery::Ids(vec![id.0])).await,
        Err(_) => return all(),
    };
    let channels: Vec<u64> = match found.as_deref() {
        Ok([c, ..]) if !c.channel_ids.is_empty() => c.channel_ids.clone(),
        Ok([c, ..]) if c.origin_channel_id > 0 => vec![c.origin_channel_id],
        Ok(_) => return all(),
        Err(e) => {
            tracing::warn!(error = %e, "customer's storefronts unavailable; offering all");
            return all();
        }
    };
    let mine: Vec<(u64, String)> = channels
        .iter()
        .filter_map(|id| facts.storefront(*id))
        .map(|s| (s.channel_id, s.name.clone()))
        .collect();
    if mine.is_empty() {
        all()
    } else {
        mine
    }
}
