//! The agent console: a local web page that plays Gladly's side against an adaptor. The page talks
//! only to this server, which signs each call as Gladly does, so the signing key never reaches the
//! browser. What Gladly would do with each answer is decided in [`reader`]; the page draws it.

pub mod reader;

use crate::target::Target;
use crate::{call, Call};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use reader::Shopper;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const INDEX: &str = include_str!("../../console/index.html");
const SCRIPT: &str = include_str!("../../console/console.js");
const STYLE: &str = include_str!("../../console/console.css");

/// Gladly gives up on an adaptor after 15 s; so does the console.
const GLADLY_TIMEOUT: Duration = Duration::from_secs(15);

struct Console {
    target: Target,
    key: String,
    client: reqwest::Client,
    /// The `Host` values this server answers to: a page from any other origin (or a DNS name
    /// rebound to loopback) must not be able to make signed calls.
    hosts: Vec<String>,
    /// Where the adaptor is, for the page's header.
    adaptor: String,
}

/// Serves the console on 127.0.0.1 until Ctrl-C.
pub async fn serve(target: Target, adaptor: &str, key: String, port: u16) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("console: cannot listen on 127.0.0.1:{port}: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let client = reqwest::Client::builder()
        .timeout(GLADLY_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let state = Arc::new(Console {
        target,
        key,
        client,
        hosts: vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")],
        adaptor: adaptor.to_string(),
    });
    let app = Router::new()
        .route(
            "/",
            get(|| async { page("text/html; charset=utf-8", INDEX) }),
        )
        .route(
            "/console.js",
            get(|| async { page("text/javascript; charset=utf-8", SCRIPT) }),
        )
        .route(
            "/console.css",
            get(|| async { page("text/css; charset=utf-8", STYLE) }),
        )
        .route("/api/about", get(about))
        .route("/api/link", post(link))
        .route("/api/search", post(search))
        .route("/api/profile", post(profile))
        .route("/api/form", post(form))
        .route("/api/submit", post(submit))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state);
    println!("Agent console on http://127.0.0.1:{port}/ (as Gladly, to {adaptor}). Ctrl-C stops.");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| format!("console: {e}"))
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            // Product images come from the store's CDN; nothing else leaves this origin.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' https: http: data:; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// Only this machine's pages may call the API: the right `Host`, the same origin, and JSON
/// (which a cross-site form cannot send without a preflight this server never grants).
async fn guard(State(c): State<Arc<Console>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = text(headers, header::HOST);
    if !c.hosts.contains(&host) {
        return refuse(StatusCode::MISDIRECTED_REQUEST, "wrong host");
    }
    if req.method() == axum::http::Method::POST {
        let origin = text(headers, header::ORIGIN);
        if !origin.is_empty() && origin != format!("http://{host}") {
            return refuse(StatusCode::FORBIDDEN, "cross-origin call refused");
        }
        if !text(headers, header::CONTENT_TYPE).starts_with("application/json") {
            return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send JSON");
        }
    }
    next.run(req).await
}

fn text(h: &HeaderMap, name: header::HeaderName) -> String {
    h.get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({ "error": why }))).into_response()
}

/// One call as the raw view shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Exchange {
    method: String,
    path: String,
    url: String,
    request_headers: Vec<(String, String)>,
    request_body: Value,
    status: Option<u16>,
    millis: Option<u128>,
    response_body: Value,
    error: Option<String>,
}

struct Sent {
    exchange: Exchange,
    call: Option<Call>,
}

/// Sends one signed call. A path must be one the adaptor gave (or Gladly's own): relative,
/// starting with one slash.
async fn gladly(c: &Console, method: &str, path: &str, body: Option<&Value>) -> Sent {
    let body_text = body.map(Value::to_string);
    let mut exchange = Exchange {
        method: method.to_string(),
        path: path.to_string(),
        url: String::new(),
        request_headers: vec![],
        request_body: body.cloned().unwrap_or(Value::Null),
        status: None,
        millis: None,
        response_body: Value::Null,
        error: None,
    };
    // A backslash reads as a slash to URL parsers (`/\host` is `//host`); control characters
    // and spaces have no place in a path the adaptor gave.
    if !path.starts_with('/')
        || path.starts_with("//")
        || path
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    {
        exchange.error = Some(format!("not a path on the adaptor: {path:?}"));
        return Sent {
            exchange,
            call: None,
        };
    }
    match call(
        &c.client,
        &c.target,
        Some(&c.key),
        method,
        path,
        body_text.as_deref(),
    )
    .await
    {
        Ok(done) => {
            exchange.url = done.url.clone();
            exchange.request_headers = done.shown_headers();
            exchange.status = Some(done.status);
            exchange.millis = Some(done.millis);
            exchange.response_body = done.json.clone();
            Sent {
                exchange,
                call: Some(done),
            }
        }
        Err(e) => {
            exchange.url = c.target.url_for(path).unwrap_or_default();
            exchange.error = Some(e);
            Sent {
                exchange,
                call: None,
            }
        }
    }
}

/// The adaptor's answer, or why there is none (not reachable, or not the status Gladly needs).
fn answered(sent: &Sent, want: u16) -> Result<&Value, String> {
    match &sent.call {
        None => Err(sent
            .exchange
            .error
            .clone()
            .unwrap_or_else(|| "no answer".into())),
        Some(c) if c.status == want => Ok(&c.json),
        Some(c) => Err(format!(
            "the adaptor answered {}: {}",
            c.status,
            first_error(&c.json)
        )),
    }
}

fn first_error(v: &Value) -> String {
    v["errors"][0]["message"]
        .as_str()
        .or(v["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| reader::body_text(v))
}

fn reply(exchange: Exchange, result: Result<Value, String>) -> Json<Value> {
    Json(match result {
        Ok(v) => json!({ "exchange": exchange, "ok": v }),
        Err(e) => json!({ "exchange": exchange, "error": e }),
    })
}

async fn about(State(c): State<Arc<Console>>) -> Json<Value> {
    Json(json!({ "adaptor": c.adaptor, "searchKeys": reader::SEARCH_KEYS }))
}

/// A shopper writes in: Gladly's auto-link lookup, and whether it links.
async fn link(State(c): State<Arc<Console>>, Json(shopper): Json<Shopper>) -> Json<Value> {
    let sent = gladly(&c, "POST", "/", Some(&reader::autolink_body(&shopper))).await;
    let result = answered(&sent, 200).map(|a| {
        json!({ "candidates": reader::candidates(a), "decision": reader::autolink(&shopper, a) })
    });
    reply(sent.exchange, result)
}

#[derive(Deserialize)]
struct SearchIn {
    key: String,
    value: String,
    #[serde(default)]
    shopper: Shopper,
}

/// The agent searches by hand: every result is listed; the agent picks one. The page also says
/// what Gladly's auto-link rule would make of the same answer for the shopper on the left.
async fn search(State(c): State<Arc<Console>>, Json(s): Json<SearchIn>) -> Json<Value> {
    let body = match reader::search_body(&s.key, &s.value) {
        Ok(b) => b,
        Err(e) => return Json(json!({ "error": e })),
    };
    let shopper = s.shopper;
    let sent = gladly(&c, "POST", "/", Some(&body)).await;
    let result = answered(&sent, 200).map(|a| {
        json!({ "candidates": reader::candidates(a), "decision": reader::autolink(&shopper, a) })
    });
    reply(sent.exchange, result)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileIn {
    external_customer_id: String,
    #[serde(default)]
    shopper: Shopper,
    #[serde(default)]
    custom_attributes: Vec<(String, String)>,
}

/// The linked profile: the DETAILED lookup Gladly sends on opening it and after every action.
async fn profile(State(c): State<Arc<Console>>, Json(p): Json<ProfileIn>) -> Json<Value> {
    let body = reader::detailed_body(&p.external_customer_id, &p.shopper, &p.custom_attributes);
    let sent = gladly(&c, "POST", "/", Some(&body)).await;
    let result = answered(&sent, 200)
        .and_then(reader::profile)
        .and_then(|p| serde_json::to_value(p).map_err(|e| e.to_string()));
    reply(sent.exchange, result)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FormIn {
    form_url: String,
}

/// An action button: Gladly fetches its form.
async fn form(State(c): State<Arc<Console>>, Json(f): Json<FormIn>) -> Json<Value> {
    let sent = gladly(&c, "GET", &f.form_url, None).await;
    let result = answered(&sent, 200).and_then(|form| {
        if form["actionUrl"].is_string() && form["sections"].is_array() {
            Ok(form.clone())
        } else {
            Err("the form has no actionUrl or no sections".into())
        }
    });
    reply(sent.exchange, result)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubmitIn {
    action_url: String,
    values: serde_json::Map<String, Value>,
}

/// The agent submits: the values keyed by `attr`, and what Gladly does with the answer.
async fn submit(State(c): State<Arc<Console>>, Json(s): Json<SubmitIn>) -> Json<Value> {
    let sent = gladly(&c, "POST", &s.action_url, Some(&Value::Object(s.values))).await;
    let outcome = match &sent.call {
        Some(done) => reader::outcome(done.status, &done.json),
        None => reader::Outcome::Closed {
            message: "Gladly got no answer from the adaptor".into(),
            detail: sent.exchange.error.clone().unwrap_or_default(),
        },
    };
    let result = serde_json::to_value(outcome).map_err(|e| e.to_string());
    reply(sent.exchange, result)
}
