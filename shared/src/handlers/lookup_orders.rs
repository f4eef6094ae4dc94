//! `GET /customers/{customerId}/orders` and `GET /orders/{orderId}`.

use super::respond;
use crate::actions::StandardActions;
use crate::app::{deadline, App};
use crate::cache::Prefetch;
use crate::http::{ok, ApiError, Incoming};
use crate::ids::{OrderId, ShopperId};
use crate::lookup::{self, Actions};
use lambda_http::{Body, Request, Response};
use serde_json::json;

/// With the action links of this deployment's action functions.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    handle_with(app, req, &StandardActions).await
}

pub async fn handle_with(app: &App, req: Request, actions: &dyn Actions) -> Response<Body> {
    let inc = Incoming::from_request(req);
    respond("lookup-orders", &inc, run(app, &inc, actions)).await
}

enum Route {
    ShopperOrders(ShopperId),
    Order(OrderId),
}

fn route(inc: &Incoming) -> Result<Route, ApiError> {
    let seg = inc.segments();
    let tail: Vec<&str> = seg.iter().map(String::as_str).collect();
    let bad = |detail: &str| ApiError::BadRequest {
        message: "invalid id".into(),
        detail: detail.into(),
    };
    match tail.as_slice() {
        [.., "customers", id, "orders"] => ShopperId::parse(id)
            .map(Route::ShopperOrders)
            .ok_or_else(|| bad("customerId must be a BigCommerce customer id or guest:<email>")),
        [.., "orders", id] => OrderId::parse(id)
            .map(Route::Order)
            .ok_or_else(|| bad("orderId must be a BigCommerce order id")),
        _ => Err(ApiError::NotFound("no such route".into())),
    }
}

async fn run(app: &App, inc: &Incoming, actions: &dyn Actions) -> Result<Response<Body>, ApiError> {
    let until = deadline();
    let cfg = app.admit(inc, until).await?;
    let route = route(inc)?;
    crate::telemetry::route(match route {
        Route::ShopperOrders(_) => "GET /customers/{customerId}/orders",
        Route::Order(_) => "GET /orders/{orderId}",
    });
    if inc.method != "GET" {
        return Err(ApiError::MethodNotAllowed);
    }
    let route = &route;
    let what = match route {
        Route::ShopperOrders(s) => Prefetch::Shopper(s.clone(), app.settings.order_limit),
        Route::Order(_) => Prefetch::StoreOnly,
    };
    let cards = app
        .with_lookup_store(cfg, until, what, move |client, cfg| async move {
            let ctx = app.lookup_context(&cfg, until);
            match route {
                Route::ShopperOrders(shopper) => {
                    lookup::shopper_orders(&client, shopper, &ctx, actions)
                        .await
                        .map(Some)
                }
                Route::Order(id) => lookup::one_order(&client, *id, &ctx, actions)
                    .await
                    .map(|o| o.map(|c| vec![c])),
            }
        })
        .await?;
    match cards {
        Some(orders) => Ok(ok(&json!({ "orders": orders }))),
        None => Err(ApiError::NotFound("no such order".into())),
    }
}
