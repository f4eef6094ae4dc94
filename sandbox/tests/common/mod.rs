//! Shared by the sandbox's test files: a running sandbox and a client for it.
#![allow(dead_code)]

use bigcommerce_sandbox::{parse_seed, start, Running, Settings, DEFAULT_SEED};
use serde_json::Value;
use std::net::SocketAddr;

pub async fn sandbox() -> Running {
    sandbox_with(Settings::default()).await
}

pub async fn sandbox_with(settings: Settings) -> Running {
    let seed = parse_seed(DEFAULT_SEED).expect("seed parses");
    start(seed, settings, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox starts")
}

/// The seed store with a crowd of `shoppers` generated shoppers (`crowd::with_crowd`), and
/// the crowd, for its shoppers' details.
pub async fn crowd_sandbox(shoppers: usize) -> (Running, bigcommerce_sandbox::crowd::Crowd) {
    let crowd = bigcommerce_sandbox::crowd::with_crowd(DEFAULT_SEED, shoppers).expect("a crowd");
    let seed = crowd.parse().expect("the crowd's seed parses");
    let sb = start(
        seed,
        Settings::default(),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .expect("sandbox starts");
    (sb, crowd)
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Calls the store API with the right token; `path` is below `/stores/{hash}`.
pub async fn call(sb: &Running, method: &str, path: &str, body: Option<&str>) -> Answer {
    call_with_token(sb, method, path, body, &sb.token).await
}

pub async fn call_with_token(
    sb: &Running,
    method: &str,
    path: &str,
    body: Option<&str>,
    token: &str,
) -> Answer {
    let url = format!("{}{}", sb.store_url(), path);
    raw(method, &url, body, Some(token)).await
}

pub async fn raw(method: &str, url: &str, body: Option<&str>, token: Option<&str>) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method.parse().expect("method"), url)
        .header("accept", "application/json");
    if let Some(t) = token {
        req = req.header("x-auth-token", t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body read");
    Answer {
        status,
        headers,
        text,
    }
}

/// Calls a `/__sandbox/` control route.
pub async fn control(sb: &Running, method: &str, path: &str, body: Option<&str>) -> Answer {
    raw(method, &format!("{}{}", sb.base_url(), path), body, None).await
}
