//! `POST /` and `POST /lookup`: Gladly's Lookup Adaptor URL (BASIC and DETAILED).

use super::respond;
use crate::actions::StandardActions;
use crate::app::{deadline, App};
use crate::cache::Prefetch;
use crate::gladly::{LookupLevel, LookupRequest, LookupResponse};
use crate::http::{ok, ApiError, Incoming};
use crate::ids::ShopperId;
use crate::lookup::{self, Actions};
use lambda_http::{Body, Request, Response};

/// With the action links of this deployment's action functions.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_with(app, req, &StandardActions).await
}

/// The same, with the action links the actions functions define.
pub async fn handle_with(app: &App, req: Request, actions: &dyn Actions) -> Response<Body> {
    let inc = Incoming::from_request(req);
    respond("lookup-customer", &inc, run(app, &inc, actions)).await
}

async fn run(app: &App, inc: &Incoming, actions: &dyn Actions) -> Result<Response<Body>, ApiError> {
    let until = deadline();
    let cfg = app.admit(inc, until).await?;
    let url = if inc.segments().is_empty() {
        "/"
    } else {
        "/lookup"
    };
    crate::telemetry::route(format!("{} {url}", inc.method));
    if inc.method != "POST" {
        return Err(ApiError::MethodNotAllowed);
    }
    let req = LookupRequest::parse(&inc.body)?;
    crate::telemetry::lookup_level(match req.level {
        LookupLevel::Basic => "BASIC",
        LookupLevel::Detailed => "DETAILED",
    });
    let results = match req.level {
        LookupLevel::Basic => {
            let q = &req.query;
            let what = lookup::basic_prefetch(q);
            app.with_lookup_store(cfg, until, what, move |client, cfg| async move {
                let ctx = app.lookup_context(&cfg, until).with_asked_phones(&q.phones);
                lookup::basic(&client, q, &ctx).await
            })
            .await?
        }
        LookupLevel::Detailed => {
            let Some(raw) = req.query.external_customer_id.as_deref() else {
                return Err(ApiError::BadRequest {
                    message: "wrong shape".into(),
                    detail: "a DETAILED lookup needs query.externalCustomerId".into(),
                });
            };
            let Some(shopper) = ShopperId::parse(raw) else {
                tracing::info!("DETAILED lookup for an id this integration never issued; no match");
                return Ok(ok(&LookupResponse::default()));
            };
            let (shopper, phones) = (&shopper, &req.query.phones);
            // DETAILED reads a whole page of history (the card's orders and the counts).
            let what = Prefetch::Shopper(shopper.clone(), lookup::HISTORY_PAGE);
            app.with_lookup_store(cfg, until, what, move |client, cfg| async move {
                let ctx = app.lookup_context(&cfg, until).with_asked_phones(phones);
                lookup::detailed(&client, shopper, &ctx, actions).await
            })
            .await?
        }
    };
    Ok(ok(&LookupResponse { results }))
}
