//! `GET /customers/{customerId}/discount` (the form) and
//! `POST /customers/{customerId}/discount/{requestId}`.

use super::action_common::{action_route, client, earlier_answer, invalid, run_once, ActionRoute};
use super::respond;
use crate::actions::ledger::Ledger;
use crate::actions::{forms, input, run};
use crate::app::ActionApp;
use crate::http::{json_response, ApiError, Incoming};
use crate::ids::ShopperId;
use lambda_http::{Body, Request, Response};

pub async fn handle<L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let inc = Incoming::from_request(req);
    respond("create-discount", &inc, route(app, &inc)).await
}

async fn route<L: Ledger>(app: &ActionApp<L>, inc: &Incoming) -> Result<Response<Body>, ApiError> {
    let what = "customerId must be a BigCommerce customer id or guest:<email>";
    match action_route(inc, "customers", "discount", ShopperId::parse, what)? {
        ActionRoute::Form(who) => {
            app.app.admit(inc).await?;
            Ok(json_response(
                200,
                &forms::discount_form(&who, &forms::new_request_id()),
            ))
        }
        ActionRoute::Submit(who, rid) => submit(app, inc, who, &rid).await,
    }
}

async fn submit<L: Ledger>(
    app: &ActionApp<L>,
    inc: &Incoming,
    who: ShopperId,
    rid: &str,
) -> Result<Response<Body>, ApiError> {
    let cfg = app.app.admit(inc).await?;
    let scope = format!("discount:customer:{who}");
    if let Some(r) = earlier_answer(app, rid, &scope).await? {
        return Ok(r);
    }
    let wanted = match input::discount(&inc.body) {
        Ok(w) => w,
        Err(errors) => return Ok(invalid(errors)),
    };
    let store = &client(app, &cfg)?;
    let (wanted, who) = (&wanted, &who);
    run_once(app, rid, &scope, move |_settle| async move {
        run::discount(store, who, wanted, rid).await
    })
    .await
}
