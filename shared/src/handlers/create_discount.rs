//! `GET /customers/{customerId}/discount` (the form) and
//! `POST /customers/{customerId}/discount/{requestId}`.

use super::action_common::{client, earlier_answer, invalid, run_once, valid_request_id};
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
    let seg = inc.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let shopper = |id: &str| {
        ShopperId::parse(id).ok_or_else(|| ApiError::BadRequest {
            message: "invalid id".into(),
            detail: "customerId must be a BigCommerce customer id or guest:<email>".into(),
        })
    };
    match (inc.method.as_str(), seg.as_slice()) {
        ("GET", [.., "customers", id, "discount"]) => {
            let who = shopper(id)?;
            app.app.admit(inc).await?;
            Ok(json_response(
                200,
                &forms::discount_form(&who, &forms::new_request_id()),
            ))
        }
        ("POST", [.., "customers", id, "discount", rid]) if valid_request_id(rid) => {
            submit(app, inc, shopper(id)?, rid).await
        }
        (m, [.., "customers", _, "discount"]) | (m, [.., "customers", _, "discount", _])
            if m != "GET" && m != "POST" =>
        {
            Err(ApiError::MethodNotAllowed)
        }
        _ => Err(ApiError::NotFound(format!(
            "no route for {} {}",
            inc.method, inc.path
        ))),
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
