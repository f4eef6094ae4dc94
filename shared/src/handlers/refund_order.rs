//! `GET /orders/{orderId}/refund` (the form) and `POST /orders/{orderId}/refund/{requestId}`.

use super::action_common::{
    action_route, client, earlier_answer, not_possible, run_once, ActionRoute,
};
use super::respond;
use crate::actions::ledger::Ledger;
use crate::actions::policy::{self, Refundable};
use crate::actions::{forms, run};
use crate::app::ActionApp;
use crate::bigcommerce::{Store, StoreActions};
use crate::http::{json_response, ApiError, Incoming};
use crate::ids::OrderId;
use lambda_http::{Body, Request, Response};

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let inc = Incoming::from_request(req);
    respond("refund-order", &inc, route(app, &inc)).await
}

async fn route<L: Ledger>(app: &ActionApp<L>, inc: &Incoming) -> Result<Response<Body>, ApiError> {
    match action_route(
        inc,
        "orders",
        "refund",
        OrderId::parse,
        "orderId must be a BigCommerce order id",
    )? {
        ActionRoute::Form(id) => form(app, inc, id).await,
        ActionRoute::Submit(id, rid) => submit(app, inc, id, &rid).await,
    }
}

async fn form<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    id: OrderId,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    let store = client(app, &cfg)?;
    let (order, refunds) = tokio::join!(store.order(id), store.refunds(id));
    let order = order?.ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    if let Err(why) = policy::refund_allowed(&order) {
        return Ok(not_possible(why));
    }
    let r = Refundable::of(&order, &refunds?);
    if r.total_left <= rust_decimal::Decimal::ZERO {
        return Ok(not_possible(format!(
            "Nothing remains refundable on order #{id}."
        )));
    }
    Ok(json_response(
        200,
        &forms::refund_form(id, &r, order.customer_id != 0, &forms::new_request_id()),
    ))
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    id: OrderId,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    let scope = format!("refund:order:{id}");
    if let Some(r) = earlier_answer(app, rid, &scope).await? {
        return Ok(r);
    }
    let store = &client(app, &cfg)?;
    let body = inc.body.as_slice();
    run_once(app, rid, &scope, move |settle| async move {
        run::refund(store, id, body, rid, settle).await
    })
    .await
}
