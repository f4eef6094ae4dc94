//! The edges of issue 24: a signing key shorter than 32 bytes, or the repository's public demo
//! key anywhere but the sandbox store, refuses every request of every function (401 that says
//! only "unauthorized"; the log names the key and why); emails match ASCII-case-insensitively
//! only, so a KELVIN SIGN is not a `k`.

use crate::harness::*;
use serde_json::{json, Value};
use shared::auth::DEMO_SIGNING_KEY;

/// One request to each function, signed with `key`.
fn one_per_function(key: &str) -> Vec<(Function, lambda_http::Request)> {
    let lookup = basic(json!({"emails": ["jane.doe@example.com"]}));
    [
        (Function::LookupCustomer, "POST", "/lookup"),
        (Function::LookupOrders, "GET", "/customers/1/orders"),
        (Function::CancelOrder, "GET", "/orders/101/cancel"),
        (Function::RefundOrder, "GET", "/orders/101/refund"),
        (Function::CreateDiscount, "GET", "/customers/1/discount"),
        (Function::UpdateAddress, "GET", "/orders/101/address"),
        (
            Function::CreateGiftCertificate,
            "GET",
            "/customers/1/gift-certificate",
        ),
        (Function::AddOrderNote, "GET", "/orders/101/note"),
        (
            Function::CreateReplacement,
            "GET",
            "/orders/104/replacement",
        ),
        (Function::AddStoreCredit, "GET", "/customers/1/store-credit"),
    ]
    .into_iter()
    .map(|(f, method, path)| {
        let body = if method == "POST" {
            lookup.as_str()
        } else {
            ""
        };
        (f, signed(method, path, body, key))
    })
    .collect()
}

/// Every function answers 401 "unauthorized" to a request signed with the secret's own key,
/// and the log says, at ERROR, `says` about gladly_signing_key; the key itself is never logged.
async fn every_function_refuses(app: &TestApp, key: &str, says: &str) {
    let (guard, logs) = crate::harness::capture::logs();
    let requests = one_per_function(key);
    assert_eq!(requests.len(), Function::ALL.len());
    for (function, req) in requests {
        let resp = app.call(function, req).await;
        assert_eq!(resp.status(), 401, "{function:?}");
        assert_eq!(
            json_of(&resp),
            json!({"errors": [{"message": "unauthorized"}]}),
            "{function:?}"
        );
    }
    drop(guard);
    let text = logs.text();
    let refusals: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(
        refusals.len(),
        Function::ALL.len(),
        "one line a request: {text}"
    );
    for line in refusals {
        assert!(
            line.contains("\"level\":\"ERROR\"")
                && line.contains("gladly_signing_key")
                && line.contains(says),
            "{line}"
        );
    }
    assert!(!text.contains(key), "the key is never logged");
}

fn with_key(sb: &bigcommerce_sandbox::Running, key: &str) -> Value {
    let mut secret = store_secret(sb);
    secret["gladly_signing_key"] = json!(key);
    secret
}

#[tokio::test]
async fn a_signing_key_shorter_than_32_bytes_refuses_every_request() {
    let sb = sandbox().await;
    let short = "0123456789abcdef0123456789abcde";
    assert_eq!(short.len(), 31);
    let app = TestApp::of(&sb).secret(with_key(&sb, short)).build().await;
    every_function_refuses(&app, short, "31 bytes long").await;
    // The premise: one byte more, and the same request is served.
    let long = format!("{short}f");
    let app = TestApp::of(&sb).secret(with_key(&sb, &long)).build().await;
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, &long),
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn the_demo_key_serves_the_sandbox_store_only() {
    let sb = sandbox().await;
    assert!(DEMO_SIGNING_KEY.len() >= 32);
    // With the sandbox store (on 127.0.0.1), as make demo, make watch and make test run it.
    let app = TestApp::of(&sb)
        .secret(with_key(&sb, DEMO_SIGNING_KEY))
        .build()
        .await;
    let body = basic(json!({"emails": ["jane.doe@example.com"]}));
    let resp = app
        .call(
            Function::LookupCustomer,
            signed("POST", "/lookup", &body, DEMO_SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(ids(&json_of(&resp)), vec!["1"]);
    // A deployed stack's secret: BigCommerce's API (never called: auth comes first).
    let mut secret = with_key(&sb, DEMO_SIGNING_KEY);
    secret["api_base_url"] = json!("https://api.bigcommerce.com");
    let app = TestApp::of(&sb).secret(secret).build().await;
    every_function_refuses(&app, DEMO_SIGNING_KEY, "public demo key").await;
}

const KELVIN_EMAIL: &str = "mallory@example.co.u\u{212A}";
const PLAIN_EMAIL: &str = "mallory@example.co.uk";

/// The sandbox folds case by Unicode's rules (as a store might): it returns the KELVIN SIGN
/// customer and guest order for the plain address. The adaptor must not link them.
async fn kelvin_store() -> bigcommerce_sandbox::Running {
    sandbox_with(|seed| {
        let mut c = seed.customers[0].clone();
        c.id = 9001;
        c.email = KELVIN_EMAIL.into();
        c.first_name = "Mallory".into();
        seed.customers.push(c);
        let mut o = seed
            .orders
            .iter()
            .find(|o| o.customer_id == 0)
            .cloned()
            .expect("a guest order in the seed");
        o.id = 9101;
        o.billing_address.email = KELVIN_EMAIL.into();
        seed.orders.push(o);
    })
    .await
}

/// What the store itself answers (BigCommerce's API of the sandbox), for a test's premise.
async fn store_get(sb: &bigcommerce_sandbox::Running, path: &str, query: (&str, &str)) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", sb.store_url()))
        .query(&[query])
        .header("x-auth-token", &sb.token)
        .header("accept", "application/json")
        .send()
        .await
        .expect("the sandbox answers")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn a_kelvin_sign_is_not_a_k_when_emails_are_matched() {
    let sb = kelvin_store().await;
    let app = TestApp::new(&sb).await;
    // The premise: the store does answer the KELVIN SIGN customer for the plain address.
    let store = store_get(&sb, "/v3/customers", ("email:in", PLAIN_EMAIL)).await;
    assert_eq!(
        store["data"][0]["id"], 9001,
        "the sandbox returns it: {store}"
    );
    // Auto-link by the plain address: nobody (the KELVIN SIGN account is someone else).
    let (status, answer) = app.lookup(&basic(json!({"emails": [PLAIN_EMAIL]}))).await;
    assert_eq!((status, answer), (200, json!({"results": []})));
    // Its own address, in any ASCII case, still finds it.
    let upper = KELVIN_EMAIL.replace("mallory", "MALLORY");
    let (status, answer) = app.lookup(&basic(json!({"emails": [upper]}))).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&answer), vec!["9001"]);
    // The guest's orders by the plain address leave out the KELVIN SIGN guest order, which the
    // store does answer for it.
    let store = store_get(&sb, "/v2/orders", ("email", PLAIN_EMAIL)).await;
    assert!(
        store
            .as_array()
            .is_some_and(|l| l.iter().any(|o| o["id"] == 9101)),
        "the sandbox returns it: {store}"
    );
    let (status, orders) = app
        .get("/customers/guest%3Amallory%40example.co.uk/orders")
        .await;
    assert_eq!(status, 200);
    assert!(
        !orders.to_string().contains("9101"),
        "the KELVIN SIGN guest order is not the plain address's: {orders}"
    );
}
