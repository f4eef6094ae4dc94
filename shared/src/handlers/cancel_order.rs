//! `GET /orders/{orderId}/cancel` (the form) and `POST /orders/{orderId}/cancel/{requestId}`.

use super::action_common::{serve, settle_before_form, submit_once, ActionDef};
use crate::actions::cancel::{form, input, policy, policy::CancelPlan, run};
use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{Outcome, Scope};
use crate::actions::refund::policy::Refundable;
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::bigcommerce::{BcError, Store, StoreActions};
use crate::config::StoreConfig;
use crate::guardrails::ActionKind;
use crate::http::{json_response, outcome_response, ApiError};
use crate::ids::{OrderId, RequestId};
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

const DEF: ActionDef<OrderId> = ActionDef {
    function: "cancel-order",
    collection: "orders",
    action: "cancel",
    kind: ActionKind::Cancel,
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
            let Some(order) = store.order(id).await? else {
                return Ok((None, None));
            };
            let refunds = match policy::cancel_plan(&order) {
                Ok(CancelPlan::RefundThenCancel) => Some(store.refunds(id).await?),
                _ => None,
            };
            Ok::<_, BcError>((Some(order), refunds))
        })
        .await?;
    let order = order.ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    let plan = match policy::cancel_plan(&order) {
        Ok(p) => p,
        Err(why) => {
            return Ok(outcome_response(&Outcome::refused(
                why,
                fields::detail_or(&earlier, "The order was left unchanged."),
            )))
        }
    };
    let refundable = refunds.map(|r| Refundable::of(&order, &r));
    let form = form::cancel_form(
        id,
        plan,
        refundable.as_ref(),
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
    let wanted = match input::parse(&body) {
        Ok(w) => w,
        Err(errors) => return Ok(outcome_response(&Outcome::invalid(errors))),
    };
    let (cfg, wanted) = (&cfg, &wanted);
    let rails = &cfg.guardrails;
    Ok(submit_once(
        app,
        cfg,
        started,
        rid,
        &Scope::Cancel(id),
        move |store, settle| async move {
            run::cancel(&store, &app.ledger, id, wanted, rid, settle, rails).await
        },
    )
    .await)
}
