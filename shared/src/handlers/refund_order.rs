//! `GET /orders/{orderId}/refund` (the form) and `POST /orders/{orderId}/refund/{requestId}`.

use super::action_common::{serve, settle_before_form, submit_once, ActionDef};
use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::actions::refund::{form, policy, policy::Refundable, run};
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::bigcommerce::{BcError, Store, StoreActions};
use crate::config::StoreConfig;
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError};
use crate::ids::{OrderId, RequestId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

const DEF: ActionDef<OrderId> = ActionDef {
    function: "refund-order",
    collection: "orders",
    action: "refund",
    kind: ActionKind::Refund,
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
    let restock_default = cfg.guardrails.restock_default;
    let until = Instant::now() + LOOKUP_DEADLINE;
    let (order, refunds) = app
        .app
        .with_store(cfg, until, move |store, _| async move {
            let (order, refunds) = tokio::join!(store.order(id), store.refunds(id));
            Ok::<_, BcError>((order?, refunds))
        })
        .await?;
    let order = order.ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    if let Err(why) = policy::refund_allowed(&order) {
        return Ok(outcome_response(&Outcome::refused(
            why,
            fields::detail_or(
                &earlier,
                "The order was left unchanged; nothing was refunded.",
            ),
        )));
    }
    let refunds = refunds?;
    let r = Refundable::of(&order, &refunds);
    if r.total_left <= rust_decimal::Decimal::ZERO {
        return Ok(outcome_response(&Outcome::refused(
            format!("Nothing remains refundable on order #{id}."),
            fields::detail_or(
                &earlier,
                "Everything paid was refunded already; a goodwill gift certificate or discount code is still possible.",
            ),
        )));
    }
    let past = form::history(&order, &refunds, &r);
    let form = form::refund_form(
        id,
        &r,
        order.customer_id.is_some(),
        &past,
        restock_default,
        &fields::new_request_id(),
    );
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
    let body = body.as_slice();
    let cfg = &cfg;
    let rails = &cfg.guardrails;
    Ok(submit_once(
        app,
        cfg,
        started,
        rid,
        &Scope::Refund(id),
        move |store, settle| async move {
            run::refund(&store, &app.ledger, id, body, rid, settle, rails).await
        },
    )
    .await)
}
