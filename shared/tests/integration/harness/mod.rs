//! End-to-end harness: the sandbox store in-process, moto's Secrets Manager and DynamoDB
//! (started by `scripts/with-moto`, which `make test` uses), and `TestApp`, the real app that
//! signed Gladly requests reach. The only module that names the app's assembly (`app`) and the
//! engine's types (`engine`).

pub mod app;
pub mod capture;
pub mod chaos;
pub mod engine;
pub mod faulty;
pub mod gladly;

pub use app::{action_names, card, Function, TestApp};
pub use engine::{chaos_timing, fast_timing, DynamoLedger, Timing};

use bigcommerce_sandbox::{parse_seed, start, Running, Settings as SandboxSettings, DEFAULT_SEED};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// The tests' signing key: 32 bytes or more, and not the repository's demo key (which the
/// sandbox store would accept too; `edges` tests that one on its own).
pub const SIGNING_KEY: &str = "integration-tests-signing-key-0123456789";

/// How to run the tests that need moto, said once per run.
pub const HOW_TO_RUN: &str = "MOTO_ENDPOINT is not set: every test that needs moto (DynamoDB, Secrets Manager) fails unrun; run them with `scripts/with-moto cargo test -p shared` or `make test`";

/// moto's endpoint. Without one, this test fails without running: no panic message or
/// backtrace of its own, and `HOW_TO_RUN` on stderr once for the whole run.
pub fn moto() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(e) if !e.trim().is_empty() => e,
        _ => {
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                // Straight to stderr: libtest captures `eprintln!` per test.
                let _ = writeln!(std::io::stderr(), "\n{HOW_TO_RUN}\n");
            });
            // A failure, but not a panic: the panic hook (its message, its backtrace) is skipped.
            std::panic::resume_unwind(Box::new(HOW_TO_RUN))
        }
    }
}

pub async fn sandbox() -> Running {
    sandbox_with(|_| {}).await
}

/// The sandbox store with its seed changed first (a customer or order of the test's own).
pub async fn sandbox_with(edit: impl FnOnce(&mut bigcommerce_sandbox::Seed)) -> Running {
    let mut seed = parse_seed(DEFAULT_SEED).expect("seed");
    edit(&mut seed);
    start(
        seed,
        SandboxSettings::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("sandbox")
}

async fn sm_client() -> aws_sdk_secretsmanager::Client {
    shared::config::secrets_manager_client(Some(&moto()))
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh secret name, so parallel tests never share one.
pub fn secret_name(tag: &str) -> String {
    format!(
        "test/{tag}/{}/{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

pub async fn put_secret(name: &str, value: &Value) {
    let c = sm_client().await;
    let text = value.to_string();
    if c.create_secret()
        .name(name)
        .secret_string(&text)
        .send()
        .await
        .is_err()
    {
        c.put_secret_value()
            .secret_id(name)
            .secret_string(&text)
            .send()
            .await
            .expect("secret updated");
    }
}

pub fn store_secret(sb: &Running) -> Value {
    json!({
        "store_hash": sb.store_hash,
        "access_token": sb.token,
        "api_base_url": sb.base_url(),
        "gladly_signing_key": SIGNING_KEY,
        "storefront_url": "https://shop.example.com",
    })
}

pub fn gladly_time(offset_secs: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::seconds(offset_secs))
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A request signed with `key` as Gladly signs it, with Gladly's headers and ids.
pub fn signed(method: &str, path: &str, body: &str, key: &str) -> Request {
    signed_at(method, path, body, key, &gladly_time(0))
}

pub fn signed_at(method: &str, path: &str, body: &str, key: &str, time: &str) -> Request {
    let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
    let (headers, auth) = gladly::authorization(key, time, method, path_only, query, body);
    let mut b = http::Request::builder()
        .method(method)
        .uri(format!("https://adaptor.example.com{path}"));
    for (n, v) in &headers {
        b = b.header(*n, v.as_str());
    }
    b.header("gladly-authorization", auth)
        .body(Body::from(body.to_string()))
        .expect("request")
}

pub fn unsigned(method: &str, path: &str, body: &str) -> Request {
    http::Request::builder()
        .method(method)
        .uri(format!("https://adaptor.example.com{path}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

pub fn json_of(resp: &Response<Body>) -> Value {
    let bytes: &[u8] = resp.body().as_ref();
    let v: Value = serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)));
    says_why(resp.status().as_u16(), &v);
    v
}

/// Every 400 and 406 any test sees says why in both lines Gladly shows: its general entry has a
/// message and a detail, neither blank (field entries carry `attr`, `code` and `detail`).
pub fn says_why(status: u16, body: &Value) {
    if status != 400 && status != 406 {
        return;
    }
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(!errors.is_empty(), "{status} without errors: {body}");
    for e in &errors {
        let keys: &[&str] = if e.get("attr").is_some() {
            &["attr", "code", "detail"]
        } else {
            &["message", "detail"]
        };
        for k in keys {
            assert!(
                e[*k].as_str().is_some_and(|s| !s.trim().is_empty()),
                "{status} with an empty {k}: {body}"
            );
        }
    }
}

pub async fn control(sb: &Running, method: &str, path: &str, body: Option<Value>) -> Value {
    let c = reqwest::Client::new();
    let mut r = c.request(
        method.parse().expect("method"),
        format!("{}{}", sb.base_url(), path),
    );
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.expect("control call");
    resp.json::<Value>().await.unwrap_or(Value::Null)
}

/// Changes the sandbox store's settings (its rate limit, its latency).
pub async fn store_settings(sb: &Running, settings: Value) {
    control(sb, "POST", "/__sandbox/settings", Some(settings)).await;
}

pub async fn clear_log(sb: &Running) {
    control(sb, "DELETE", "/__sandbox/requests", None).await;
}

/// The queries of the `GET`s of `route` the store was asked since the log was cleared.
pub async fn get_queries(sb: &Running, route: &str) -> Vec<String> {
    let log = control(sb, "GET", "/__sandbox/requests", None).await;
    log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["method"] == "GET" && r["route"] == route)
        .filter_map(|r| r["query"].as_str().map(String::from))
        .collect()
}

/// Calls the store API made since the log was cleared, per route.
pub async fn calls(sb: &Running) -> (u64, Value) {
    let log = control(sb, "GET", "/__sandbox/requests", None).await;
    (log["total"].as_u64().unwrap_or(0), log["by_route"].clone())
}

pub async fn fault(sb: &Running, f: Value) {
    control(sb, "POST", "/__sandbox/faults", Some(f)).await;
}

/// Arms `f` unless a fault on its route is still armed, and says whether it did. The sandbox adds
/// up every fault that matches a request, so late commits drawn faster than writes use them
/// would land as one write 1400 ms or more after it arrived: past the settle the engine rightly
/// assumes, a double that tests the clock, not the code. `arming` makes the check and the
/// arming one step for the workers that share it.
pub async fn fault_alone(sb: &Running, arming: &tokio::sync::Mutex<()>, f: Value) -> bool {
    let _one = arming.lock().await;
    let armed = control(sb, "GET", "/__sandbox/faults", None).await;
    if armed
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["route"] == f["route"]))
    {
        return false;
    }
    fault(sb, f).await;
    true
}

pub fn basic(query: Value) -> String {
    json!({ "lookupLevel": "BASIC", "query": query, "uniqueMatchRequired": false }).to_string()
}

pub fn detailed(external_id: &str) -> String {
    json!({ "lookupLevel": "DETAILED", "query": { "externalCustomerId": external_id, "id": "gladly-1" }, "uniqueMatchRequired": true }).to_string()
}

/// A fresh DynamoDB table in moto keyed by `key` (S), named from `prefix`.
async fn moto_table(prefix: &str, key: &str) -> (aws_sdk_dynamodb::Client, String) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let client = shared::config::dynamodb_client(Some(&moto()));
    let name = format!(
        "{prefix}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    client
        .create_table()
        .table_name(&name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attr"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("table created");
    (client, name)
}

/// A fresh idempotency table in moto, as the SAM template creates it.
pub async fn ledger() -> engine::DynamoLedger {
    let (client, name) = moto_table("idem", "request_id").await;
    engine::DynamoLedger::new(client, &name)
}

/// A fresh idempotency table in moto, with its client and name, for a test that writes items
/// of its own into it (an earlier version's record, a damaged counter).
pub async fn ledger_table() -> (engine::DynamoLedger, aws_sdk_dynamodb::Client, String) {
    let (client, name) = moto_table("idem", "request_id").await;
    (
        engine::DynamoLedger::new(client.clone(), &name),
        client,
        name,
    )
}

/// A fresh lookup cache table in moto, as the SAM template creates it.
pub async fn cache_table() -> shared::cache::Table {
    let (_, name) = moto_table("cache", "k").await;
    shared::cache::Table::dynamo(&name, Some(&moto()))
}

/// Requests the sandbox answered with an injected fault since the log was cleared.
pub async fn faulted(sb: &Running) -> u64 {
    control(sb, "GET", "/__sandbox/requests", None).await["faulted"]
        .as_u64()
        .unwrap_or(0)
}

/// The sandbox's own view of an order (v2).
pub async fn bc_order(sb: &Running, id: u64) -> Value {
    let c = reqwest::Client::new();
    let r = c
        .get(format!("{}/v2/orders/{id}", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("order");
    r.json().await.expect("order json")
}

pub async fn bc_refunds(sb: &Running, id: u64) -> Value {
    let c = reqwest::Client::new();
    let r = c
        .get(format!(
            "{}/v3/orders/{id}/payment_actions/refunds",
            sb.store_url()
        ))
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("refunds");
    r.json().await.expect("refunds json")
}

/// The sandbox's refunds of one order whose reason carries `rid`'s marker.
pub async fn refunds_marked(sb: &Running, order: u64, rid: &str) -> Vec<Value> {
    let marker = format!("[gladly:{rid}]");
    bc_refunds(sb, order).await["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["reason"].as_str().is_some_and(|x| x.contains(&marker)))
        .cloned()
        .collect()
}

/// The writes on `route` the store carried out, from its request log: (arrival, when the change
/// landed, the latency the faults injected), on the store's clock, in milliseconds.
pub fn served_writes(log: &Value, route: &str) -> Vec<(u64, u64, u64)> {
    log["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            let at = format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                r["route"].as_str().unwrap_or("")
            );
            at == route
                && r["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
        })
        .filter_map(|r| {
            let injected = r["latency_ms"].as_u64().unwrap_or(0);
            Some((r["at_ms"].as_u64()?, r["done_ms"].as_u64()?, injected))
        })
        .collect()
}

/// The writes on `route` that landed later than the engine assumes BigCommerce finishes a write
/// it gave up on. An attempt gives up at the earliest `min_write_budget` after sending (a write
/// is cut at whichever comes first of `write_timeout` and the deadline, and is sent only with
/// `min_write_budget` left) and is settled `settle_after` later: a write landing after that can
/// be missed by the settle's marker search, and a double it causes breaks the engine's premise,
/// not its code. Each says how much of its lag faults injected (stacked faults show) and how
/// much was the store's own.
pub fn late_writes(log: &Value, route: &str, t: &engine::Timing) -> Vec<String> {
    let bound = u64::try_from((t.min_write_budget + t.settle_after).as_millis()).unwrap_or(0);
    served_writes(log, route)
        .into_iter()
        .filter(|(at, done, _)| done.saturating_sub(*at) > bound)
        .map(|(at, done, injected)| {
            format!(
                "a {route} that arrived at {at} ms landed {} ms later ({injected} ms injected, {} ms the store's own lag), past the {bound} ms after which the engine settles",
                done - at,
                (done - at).saturating_sub(injected)
            )
        })
        .collect()
}

/// The slowest landing of a write on `route` beyond its injected latency: the store's own lag.
pub fn store_lag_ms(log: &Value, route: &str) -> u64 {
    served_writes(log, route)
        .into_iter()
        .map(|(at, done, injected)| done.saturating_sub(at).saturating_sub(injected))
        .max()
        .unwrap_or(0)
}

/// The most requests BigCommerce served at once on `route` since the log was cleared.
pub async fn max_concurrent(sb: &Running, route: &str) -> u64 {
    control(sb, "GET", "/__sandbox/requests", None).await["max_concurrent"][route]
        .as_u64()
        .unwrap_or(0)
}

/// The `externalCustomerId`s of a lookup answer, in order.
pub fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["externalCustomerId"].as_str().map(String::from))
        .collect()
}

/// The submit path a form carries.
pub fn action_url(form: &Value) -> String {
    form["actionUrl"].as_str().unwrap_or_default().to_string()
}

/// Refund POSTs BigCommerce received since the log was cleared.
pub async fn refund_posts(sb: &Running) -> u64 {
    calls(sb).await.1["POST /v3/orders/{id}/payment_actions/refunds"]
        .as_u64()
        .unwrap_or(0)
}

/// The request id a submit path (`actionUrl`) ends with.
pub fn rid_of(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_string()
}

/// The marker BigCommerce records carry for the request `path` submits.
pub fn marker_of(path: &str) -> String {
    format!("[gladly:{}]", rid_of(path))
}

/// What an answer says first: a done answer's message, or its general error's.
/// Whether `check` holds within 2 s (polled every 50 ms): a late write the store is still
/// finishing.
pub async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..40 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// The fields a 400 names (its `errors` with an `attr`).
pub fn field_attrs(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["attr"].as_str().map(String::from))
        .collect()
}

pub fn message(v: &Value) -> String {
    v["message"]
        .as_str()
        .or_else(|| v["errors"][0]["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The default a form's field `attr` shows.
pub fn field_default(form: &Value, attr: &str) -> Value {
    form["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["attr"] == attr)
        .map(|s| s["defaultValue"].clone())
        .unwrap_or(Value::Null)
}
