//! `GET /orders/{orderId}/refund` (the form) and `POST /orders/{orderId}/refund/{requestId}`.

use super::action_common::{client, earlier_answer, not_possible, run_once, valid_request_id};
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
    let seg = inc.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let bad_order = || ApiError::BadRequest {
        message: "invalid id".into(),
        detail: "orderId must be a BigCommerce order id".into(),
    };
    match (inc.method.as_str(), seg.as_slice()) {
        ("GET", [.., "orders", id, "refund"]) => {
            form(app, inc, OrderId::parse(id).ok_or_else(bad_order)?).await
        }
        ("POST", [.., "orders", id, "refund", rid]) if valid_request_id(rid) => {
            submit(app, inc, OrderId::parse(id).ok_or_else(bad_order)?, rid).await
        }
        (_, [.., "orders", _, "refund"]) | (_, [.., "orders", _, "refund", _])
            if inc.method != "GET" && inc.method != "POST" =>
        {
            Err(ApiError::MethodNotAllowed)
        }
        _ => Err(ApiError::NotFound(format!(
            "no route for {} {}",
            inc.method, inc.path
        ))),
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
