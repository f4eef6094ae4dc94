//! The HTTP pipeline: store hash, token, rate limit and injected faults in front of the API,
//! and the test controls under `/__sandbox/`.

use crate::api;
use crate::errors::{ApiError, Family};
use crate::state::{AppState, Fault, LoggedRequest};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub fn router(state: Arc<AppState>) -> Router {
    let api = api::routes()
        .fallback(|| async { ApiError::not_found(Family::V3) })
        .layer(middleware::from_fn_with_state(state.clone(), pipeline));
    Router::new()
        .nest("/stores/{store_hash}", api)
        .route("/__sandbox", get(describe))
        .route("/__sandbox/reset", post(reset))
        .route(
            "/__sandbox/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__sandbox/requests", get(requests).delete(clear_requests))
        .route("/__sandbox/settings", post(settings))
        .merge(crate::order_creation::controls())
        .merge(crate::store_credit::controls())
        .fallback(|| async { ApiError::not_found(Family::V3) })
        .with_state(state)
}

/// `/v2/orders/{id}` from `/stores/{store_hash}/v2/orders/{id}`.
fn route_key(matched: Option<&str>, path: &str) -> String {
    let full = matched.unwrap_or(path);
    full.splitn(4, '/')
        .nth(3)
        .map(|rest| format!("/{rest}"))
        .unwrap_or_else(|| full.to_string())
}

async fn pipeline(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    // Inside `nest` the URI is stripped of `/stores/{hash}`; the original keeps it.
    let uri = req
        .extensions()
        .get::<OriginalUri>()
        .map(|o| o.0.clone())
        .unwrap_or_else(|| req.uri().clone());
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let route = route_key(
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
        &path,
    );
    let family = Family::of_path(&path);
    let at_ms = st.now_ms();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();

    let (mut faulted, mut logged, mut window, mut latency_ms) = (false, false, None, 0);
    let response = if path.split('/').nth(2) != Some(st.store.hash.as_str()) {
        ApiError::new(family, StatusCode::NOT_FOUND, "Store not found.").into_response()
    } else if req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        != Some(st.token().as_str())
    {
        ApiError::new(
            family,
            StatusCode::UNAUTHORIZED,
            "You are not authorized to access this resource.",
        )
        .into_response()
    } else {
        let rate = st.take_rate();
        window = Some(rate.window);
        let mut response = if !rate.allowed {
            let mut r = ApiError::new(family, StatusCode::TOO_MANY_REQUESTS, "Too many requests.")
                .into_response();
            let secs = rate.reset_ms.div_ceil(1000).max(1);
            r.headers_mut()
                .insert("x-retry-after", HeaderValue::from(secs));
            r
        } else {
            let plan = st.plan(&method, &route, &query);
            faulted = plan.faulted;
            latency_ms = millis(plan.latency);
            let serve = plan.after || (plan.status.is_none() && !plan.malformed);
            let served = if plan.detached {
                // The store keeps going when the client hangs up: the change lands, and the
                // request is logged, whoever is still listening.
                let (st2, latency, answer_after) = (st.clone(), plan.latency, plan.answer_after);
                let (m, r, p, q) = (method.clone(), route.clone(), path.clone(), query.clone());
                let ua = user_agent.clone();
                let task = tokio::spawn(async move {
                    let _serving = st2.serving(&format!("{m} {r}"));
                    tokio::time::sleep(latency).await;
                    let resp = if serve {
                        Some(next.run(req).await)
                    } else {
                        None
                    };
                    st2.log(LoggedRequest {
                        method: m,
                        route: r,
                        path: p,
                        query: q,
                        status: resp.as_ref().map_or(0, |r| r.status().as_u16()),
                        faulted: true,
                        at_ms,
                        done_ms: st2.now_ms(),
                        latency_ms: millis(latency),
                        window,
                        user_agent: ua,
                    });
                    tokio::time::sleep(answer_after).await;
                    resp
                });
                logged = true;
                task.await.ok().flatten()
            } else {
                // From arrival to answer: two requests whose times overlap at all count as two.
                let _serving = st.serving(&format!("{method} {route}"));
                if !plan.latency.is_zero() {
                    tokio::time::sleep(plan.latency).await;
                }
                let resp = if serve {
                    Some(next.run(req).await)
                } else {
                    None
                };
                if !plan.answer_after.is_zero() {
                    // Logged before the wait: a client that hangs up meanwhile still sees it.
                    st.log(LoggedRequest {
                        method: method.clone(),
                        route: route.clone(),
                        path: path.clone(),
                        query: query.clone(),
                        status: resp.as_ref().map_or(0, |r| r.status().as_u16()),
                        faulted: true,
                        at_ms,
                        done_ms: st.now_ms(),
                        latency_ms: millis(plan.latency),
                        window,
                        user_agent: user_agent.clone(),
                    });
                    logged = true;
                    tokio::time::sleep(plan.answer_after).await;
                }
                resp
            };
            match (plan.status, plan.malformed) {
                (Some(code), _) => {
                    let status =
                        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    let mut r = ApiError::new(
                        family,
                        status,
                        status.canonical_reason().unwrap_or("Injected fault"),
                    )
                    .into_response();
                    if let Some(loc) = plan.location.as_deref() {
                        if let Ok(v) = HeaderValue::from_str(loc) {
                            r.headers_mut().insert("location", v);
                        }
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        // An injected 429 looks like a spent quota that refills in a second.
                        let h = r.headers_mut();
                        h.insert("x-retry-after", HeaderValue::from(1));
                        h.insert("x-rate-limit-requests-left", HeaderValue::from(0));
                        h.insert("x-rate-limit-time-reset-ms", HeaderValue::from(1000));
                    }
                    r
                }
                (None, true) => Response::builder()
                    .status(StatusCode::OK)
                    .header("content-type", "application/json")
                    .body(Body::from(Bytes::from_static(
                        b"{\"data\": [{\"id\": 1, \"na",
                    )))
                    .unwrap_or_else(|_| StatusCode::OK.into_response()),
                (None, false) => {
                    served.unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
                }
            }
        };
        let h = response.headers_mut();
        h.entry("x-rate-limit-requests-left")
            .or_insert(HeaderValue::from(rate.left));
        h.entry("x-rate-limit-requests-quota")
            .or_insert(HeaderValue::from(rate.quota));
        h.entry("x-rate-limit-time-window-ms")
            .or_insert(HeaderValue::from(rate.window_ms));
        h.entry("x-rate-limit-time-reset-ms")
            .or_insert(HeaderValue::from(rate.reset_ms));
        response
    };
    if !logged {
        st.log(LoggedRequest {
            method,
            route,
            path,
            query,
            status: response.status().as_u16(),
            faulted,
            at_ms,
            done_ms: st.now_ms(),
            latency_ms,
            window,
            user_agent,
        });
    }
    response
}

async fn describe(State(st): State<Arc<AppState>>) -> Response {
    Json(json!({
        "store_hash": st.store.hash,
        "faults": st.faults(),
        "controls": {
            "POST /__sandbox/reset": "back to the seed (data, faults, request log, rate window)",
            "POST /__sandbox/faults": "{route, status?, latency_ms?, malformed?, after?, detached?, answer_after_ms?, times?, location?}; location: with a 3xx status, where to redirect; route is 'GET /v2/orders/{id}', '/v2/orders/{id}' or '*'; after: serve first, then answer the fault; detached: keep serving when the client hangs up (a late commit); answer_after_ms: serve, then answer this late",
            "DELETE /__sandbox/faults": "remove every fault",
            "GET /__sandbox/requests": "the request log with counts per route; each entry has at_ms (arrival, since start), done_ms (when served or refused; for a detached write, when it landed), latency_ms (injected), window (the rate-limit window that counted it) and user_agent",
            "DELETE /__sandbox/requests": "clear the request log",
            "POST /__sandbox/products/{id}": "{availability?, is_visible?, inventory_tracking?, deleted?, stock?, variant_id?, purchasing_disabled?}: change the catalog out of band; stock sets variant_id's level (the base variant's when absent)",
            "POST /__sandbox/customers/{id}/store_credit": "{amount, when?}: set the balance out of band; when is now (default), before_next_write or after_next_write (around the next PUT /v3/customers for that customer)",
            "POST /__sandbox/settings": "{latency_ms?, rate_limit_quota?, rate_limit_window_ms?, access_token?}; access_token rotates the token (the old one gets 401)",
        }
    }))
    .into_response()
}

async fn reset(State(st): State<Arc<AppState>>) -> StatusCode {
    st.reset();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(st): State<Arc<AppState>>) -> Response {
    Json(st.faults()).into_response()
}

async fn add_fault(State(st): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) if f.status.is_some_and(|s| !(100..=599).contains(&s)) => {
            control_error("status must be 100 to 599")
        }
        Ok(f) => {
            st.add_fault(f);
            StatusCode::CREATED.into_response()
        }
        Err(e) => control_error(&e.to_string()),
    }
}

async fn clear_faults(State(st): State<Arc<AppState>>) -> StatusCode {
    st.clear_faults();
    StatusCode::NO_CONTENT
}

async fn requests(State(st): State<Arc<AppState>>) -> Response {
    let log = st.requests();
    let mut by_route = serde_json::Map::new();
    for r in &log {
        let key = format!("{} {}", r.method, r.route);
        let n = by_route.get(&key).and_then(|v| v.as_u64()).unwrap_or(0);
        by_route.insert(key, json!(n + 1));
    }
    let faulted = log.iter().filter(|r| r.faulted).count();
    Json(
        json!({ "total": log.len(), "faulted": faulted, "by_route": by_route,
                 "max_concurrent": st.max_concurrent(), "requests": log }),
    )
    .into_response()
}

async fn clear_requests(State(st): State<Arc<AppState>>) -> StatusCode {
    st.clear_requests();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsIn {
    latency_ms: Option<u64>,
    /// Rotate the access token: from now on only this one is accepted.
    access_token: Option<String>,
    rate_limit_quota: Option<u32>,
    rate_limit_window_ms: Option<u64>,
}

async fn settings(State(st): State<Arc<AppState>>, body: Bytes) -> Response {
    let s: SettingsIn = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return control_error(&e.to_string()),
    };
    if let Some(ms) = s.latency_ms {
        st.set_latency(Duration::from_millis(ms));
    }
    if let Some(t) = s.access_token.as_deref().filter(|t| !t.is_empty()) {
        st.set_token(t);
    }
    if s.rate_limit_quota.is_some() || s.rate_limit_window_ms.is_some() {
        st.set_rate_limit(
            s.rate_limit_quota.unwrap_or(150),
            Duration::from_millis(s.rate_limit_window_ms.unwrap_or(30_000).max(1)),
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

fn control_error(msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": msg }))).into_response()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
