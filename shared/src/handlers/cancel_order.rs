//! `GET /orders/{orderId}/cancel` (the form) and `POST /orders/{orderId}/cancel/{requestId}`.

use super::action_common::{
    action_route, client, earlier_answer, invalid, not_possible, run_once, ActionRoute,
};
use super::respond;
use crate::actions::ledger::Ledger;
use crate::actions::policy::{self, CancelPlan, Refundable};
use crate::actions::{forms, input, run};
use crate::app::ActionApp;
use crate::bigcommerce::{Store, StoreActions};
use crate::http::{json_response, ApiError, Incoming};
use crate::ids::OrderId;
use lambda_http::{Body, Request, Response};

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let inc = Incoming::from_request(req);
    respond("cancel-order", &inc, route(app, &inc)).await
}

async fn route<L: Ledger>(app: &ActionApp<L>, inc: &Incoming) -> Result<Response<Body>, ApiError> {
    match action_route(
        inc,
        "orders",
        "cancel",
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
    let order = store
        .order(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    let plan = match policy::cancel_plan(&order) {
        Ok(p) => p,
        Err(why) => return Ok(not_possible(why)),
    };
    let refundable = if plan == CancelPlan::RefundThenCancel {
        Some(Refundable::of(&order, &store.refunds(id).await?))
    } else {
        None
    };
    Ok(json_response(
        200,
        &forms::cancel_form(id, plan, refundable.as_ref(), &forms::new_request_id()),
    ))
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    id: OrderId,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    let scope = format!("cancel:order:{id}");
    if let Some(r) = earlier_answer(app, rid, &scope).await? {
        return Ok(r);
    }
    let wanted = match input::cancel(&inc.body) {
        Ok(w) => w,
        Err(errors) => return Ok(invalid(errors)),
    };
    let store = &client(app, &cfg)?;
    let wanted = &wanted;
    run_once(app, rid, &scope, move |settle| async move {
        run::cancel(store, id, wanted, rid, settle).await
    })
    .await
}
