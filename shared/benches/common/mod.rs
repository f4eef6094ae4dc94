//! What the benches share: a lookup request signed as Gladly signs it.

use lambda_http::{Body, Request};
use shared::auth::{sign, SignatureInput};

/// The signing key the benches' apps are given.
pub const KEY: &str = "bench-signing-key-0123456789abcdefgh";

/// `POST /lookup` with `body`, signed now with `KEY`.
pub fn signed_lookup(body: &str) -> Request {
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let headers = [
        ("content-type", "application/json"),
        ("gladly-time", time.as_str()),
    ];
    let auth = sign(
        KEY,
        &SignatureInput {
            method: "POST",
            path: "/lookup",
            query: "",
            headers: &headers,
            body: body.as_bytes(),
        },
    );
    http::Request::builder()
        .method("POST")
        .uri("https://bench/lookup")
        .header("content-type", "application/json")
        .header("gladly-time", time)
        .header("gladly-authorization", auth)
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}
