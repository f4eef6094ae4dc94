//! `GET /orders/{orderId}/address` (the form) and `POST /orders/{orderId}/address/{requestId}`.

use super::action_common::{serve, settle_before_form, submit_once, ActionDef};
use crate::actions::address::{form, input, policy, run};
use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::bigcommerce::{BcError, Store, StoreActions};
use crate::config::StoreConfig;
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError};
use crate::ids::{OrderId, RequestId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

const DEF: ActionDef<OrderId> = ActionDef {
    function: "update-address",
    collection: "orders",
    action: "address",
    kind: ActionKind::Address,
    parse: OrderId::parse,
    what: "orderId must be a BigCommerce order id",
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
    id: OrderId,
) -> Result<Response<Body>, ApiError> {
    let earlier = match settle_before_form(app, &cfg, id).await {
        Ok(notes) => notes,
        Err(resp) => return Ok(resp),
    };
    let until = Instant::now() + LOOKUP_DEADLINE;
    let (order, addresses) = app
        .app
        .with_store(cfg, until, move |store, _| async move {
            let (order, addresses) = tokio::join!(store.order(id), store.shipping_addresses(id));
            Ok::<_, BcError>((order?, addresses))
        })
        .await?;
    let order = order.ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    if let Err(why) = policy::address_change_allowed(&order) {
        return Ok(outcome_response(&Outcome::refused(
            why,
            fields::detail_or(&earlier, "The shipping address was left unchanged."),
        )));
    }
    let Some(now) = addresses?.into_iter().next() else {
        return Ok(outcome_response(&Outcome::refused(
            format!("Order #{id} has no shipping address to change."),
            fields::detail_or(
                &earlier,
                "Nothing was changed; an order for pickup or a digital order ships nowhere.",
            ),
        )));
    };
    let form = form::address_form(id, &now, &fields::new_request_id());
    Ok(json_response(200, &fields::with_notes(form, &earlier)))
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    cfg: StoreConfig,
    id: OrderId,
    rid: RequestId,
    body: Vec<u8>,
    started: Instant,
) -> Result<Response<Body>, ApiError> {
    let rid = &rid;
    let to = match input::parse(&body) {
        Ok(a) => a,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let (cfg, to) = (&cfg, &to);
    Ok(submit_once(
        app,
        cfg,
        started,
        rid,
        &Scope::Address(id),
        move |store, settle| async move { run::change(&store, id, to, rid, settle).await },
    )
    .await)
}
