//! Wall time and BigCommerce request counts of real lookups against the sandbox with 50 ms of
//! latency per BigCommerce request (customer #2: 10 orders, 3 of them shipped): `make bench`.

mod common;

use bigcommerce_sandbox::{parse_seed, start, Settings as SandboxSettings, DEFAULT_SEED};
use common::{signed_lookup, KEY};
use serde_json::{json, Value};
use shared::app::App;
use shared::config::{SecretSource, Settings};
use shared::handlers::lookup_customer;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const RUNS: usize = 20;

async fn count(base: &str) -> u64 {
    let v: Value = match reqwest::get(format!("{base}/__sandbox/requests")).await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    v["total"].as_u64().unwrap_or(0)
}

async fn clear(base: &str) {
    let _ = reqwest::Client::new()
        .delete(format!("{base}/__sandbox/requests"))
        .send()
        .await;
}

/// One lookup by `app`, from a cleared request log: its answer, wall time and BigCommerce calls.
async fn measured(base: &str, app: &App, body: &str) -> (u16, Duration, u64) {
    clear(base).await;
    let t = Instant::now();
    let resp = lookup_customer::handle(app, signed_lookup(body)).await;
    let wall = t.elapsed();
    (resp.status().as_u16(), wall, count(base).await)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let seed = match parse_seed(DEFAULT_SEED) {
        Ok(s) => s,
        Err(e) => return eprintln!("seed: {e}"),
    };
    let settings = SandboxSettings {
        latency: Duration::from_millis(50),
        quota: 1_000_000,
        ..SandboxSettings::default()
    };
    let sb = match start(seed, settings, SocketAddr::from(([127, 0, 0, 1], 0))).await {
        Ok(s) => s,
        Err(e) => return eprintln!("sandbox: {e}"),
    };
    let base = sb.base_url();
    let secret = json!({"store_hash": sb.store_hash, "access_token": sb.token, "api_base_url": base, "gladly_signing_key": KEY});
    let fresh_app = || {
        App::new(
            Settings {
                secret_id: "bench".into(),
                order_limit: 10,
                under_sam_local: false,
            },
            SecretSource::Fixed(secret.to_string()),
        )
    };

    println!("BigCommerce latency 50 ms per request; {RUNS} runs each; median wall time of the handler\n");
    println!("| lookup | BigCommerce requests | median wall time |");
    println!("|---|---|---|");
    let cases: [(&str, String, bool); 4] = [
        ("DETAILED, customer with 10 orders (3 shipped), cold function", json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": "2"}}).to_string(), true),
        ("DETAILED, same, warm function (images cached)", json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": "2"}}).to_string(), false),
        ("auto-link by email", json!({"lookupLevel": "BASIC", "query": {"emails": ["marcus.chen@example.com"], "id": "g"}}).to_string(), false),
        ("auto-link by email, guest fallback", json!({"lookupLevel": "BASIC", "query": {"emails": ["riley.guest@example.com"], "id": "g"}}).to_string(), false),
    ];
    let warm = fresh_app();
    let _ = lookup_customer::handle(&warm, signed_lookup(&cases[1].1)).await;
    // The shared cache: a DynamoDB table in moto, when `make bench` runs under scripts/with-moto.
    let table = match std::env::var("MOTO_ENDPOINT") {
        Ok(endpoint) => cache_table(&endpoint).await,
        Err(_) => None,
    };
    for (name, body, cold) in &cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut calls = 0;
        for _ in 0..RUNS {
            let app_cold;
            let app = if *cold {
                app_cold = fresh_app();
                &app_cold
            } else {
                &warm
            };
            let (status, wall, n) = measured(&base, app, body).await;
            times.push(wall);
            if status != 200 {
                eprintln!("{name}: status {status}");
            }
            calls = n;
        }
        println!(
            "| {name} | {calls} | {:.1} ms |",
            median(times).as_secs_f64() * 1000.0
        );
    }
    let Some(table) = table else {
        println!("\n(no MOTO_ENDPOINT: the shared cache's cases are skipped; run make bench)");
        return;
    };
    // DETAILED of customer #2 with the shared cache: a new container and an empty cache (one
    // read that finds nothing, the calls, one write), then a new container whose cache another
    // filled a moment ago (one read, no call).
    let body = &cases[0].1;
    let mut cold = Vec::with_capacity(RUNS);
    let mut hit = Vec::with_capacity(RUNS);
    let mut busy = Vec::with_capacity(RUNS);
    let (mut cold_calls, mut hit_calls, mut busy_calls) = (0, 0, 0);
    let other_shopper =
        json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": "5"}}).to_string();
    for run in 0..RUNS {
        let empty = match cache_table_named(&table.0, &format!("bench-lookup-{run}")).await {
            Some(t) => t,
            None => return eprintln!("cache table: not created"),
        };
        let (_, wall, n) = measured(&base, &fresh_app().with_cache(empty.clone()), body).await;
        cold.push(wall);
        cold_calls = n;
        let (_, wall, n) = measured(&base, &fresh_app().with_cache(empty), body).await;
        hit.push(wall);
        hit_calls = n;
        // A store whose cache is in use: another shopper was looked up first (the store's
        // settings, the guest index and the catalog's images are kept), then customer #2 by a
        // new container: the guest index says his email has no guest order, so no guest query.
        let used = match cache_table_named(&table.0, &format!("bench-lookup-used-{run}")).await {
            Some(t) => t,
            None => return eprintln!("cache table: not created"),
        };
        let first = fresh_app().with_cache(used.clone());
        let _ = lookup_customer::handle(&first, signed_lookup(&other_shopper)).await;
        let (_, wall, n) = measured(&base, &fresh_app().with_cache(used), body).await;
        busy.push(wall);
        busy_calls = n;
    }
    println!(
        "| DETAILED, cold function, shared cache empty (moto on loopback) | {cold_calls} | {:.1} ms |",
        median(cold).as_secs_f64() * 1000.0
    );
    println!(
        "| DETAILED, cold function, shared cache filled by another container | {hit_calls} | {:.1} ms |",
        median(hit).as_secs_f64() * 1000.0
    );
    println!(
        "| DETAILED, cold function, shared cache in use (another shopper looked up first: store settings, guest index, images kept) | {busy_calls} | {:.1} ms |",
        median(busy).as_secs_f64() * 1000.0
    );
}

/// A fresh cache table in moto, as the SAM template makes it.
async fn cache_table(endpoint: &str) -> Option<(String, shared::cache::Table)> {
    let t = cache_table_named(endpoint, "bench-lookup-warmup").await?;
    Some((endpoint.to_string(), t))
}

async fn cache_table_named(endpoint: &str, prefix: &str) -> Option<shared::cache::Table> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let client = shared::config::dynamodb_client(Some(endpoint));
    let name = format!("{prefix}-{}", std::process::id());
    client
        .create_table()
        .table_name(&name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("k")
                .key_type(KeyType::Hash)
                .build()
                .ok()?,
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("k")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .ok()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .ok()?;
    Some(shared::cache::Table::dynamo(&name, Some(endpoint)))
}
