//! The demo session and the smoke test.

use crate::target::Target;
use crate::{send, Reply};
use serde_json::{json, Value};

fn step(n: u32, title: &str) {
    println!("\n\x1b[1m── {n}. {title}\x1b[0m");
}

fn expect(r: &Reply, status: u16, what: &str) -> Result<(), String> {
    if r.status == status {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {status}, got {} {}",
            r.status, r.json
        ))
    }
}

fn orders_table(profile: &Value) {
    println!(
        "   {:<7} {:<22} {:>10}  {:<24} actions",
        "order", "status", "total", "tracking"
    );
    for t in profile["transactions"].as_array().into_iter().flatten() {
        let actions: Vec<&str> = t["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["name"].as_str())
            .collect();
        println!(
            "   #{:<6} {:<22} {:>10}  {:<24} {}",
            t["orderNumber"].as_str().unwrap_or("?"),
            t["orderStatus"].as_str().unwrap_or("?"),
            t["orderTotal"].as_str().unwrap_or("?"),
            t["firstTrackingNumber"].as_str().unwrap_or("-"),
            actions.join(", ")
        );
    }
}

async fn submit_form(
    target: &Target,
    key: &str,
    form_path: &str,
    attrs: Value,
) -> Result<(String, Reply), String> {
    let form = send(target, Some(key), "GET", form_path, None).await?;
    expect(&form, 200, form_path)?;
    println!(
        "   form: \"{}\" ({} ms)",
        form.json["title"].as_str().unwrap_or(""),
        form.millis
    );
    let action = form.json["actionUrl"]
        .as_str()
        .ok_or("form without actionUrl")?
        .to_string();
    let reply = send(target, Some(key), "POST", &action, Some(&attrs.to_string())).await?;
    Ok((action, reply))
}

/// Opens `form_path`, submits `attrs`, expects a 200 and prints what the agent reads, after
/// `lead` ("" or "and store credit on her account: ").
async fn act(
    target: &Target,
    key: &str,
    form_path: &str,
    attrs: Value,
    what: &str,
    lead: &str,
) -> Result<(String, Reply), String> {
    let (action, r) = submit_form(target, key, form_path, attrs).await?;
    expect(&r, 200, what)?;
    println!(
        "   → {lead}{}: {}",
        r.json["message"].as_str().unwrap_or(""),
        r.json["detail"].as_str().unwrap_or("")
    );
    Ok((action, r))
}

/// What a Lambda container's start costs, as the README measures it (`scripts/measure-init.py`
/// on the release binaries: process start to ready, and to the first request served).
const LAMBDA_INIT: &str = "8.3 ms to ready and 14.3 ms to the first request served for lookup-customer (x86_64 release, median of 20; README's table, measured by scripts/with-moto .venv/bin/python scripts/measure-init.py target/release/lookup-customer 20)";

/// The first call of each function starts its process: under `cargo lambda watch` that is the
/// emulator starting a debug binary, which says nothing of a Lambda cold start; on a deployed
/// stack, a cold Lambda. Measured here, apart, so the tour's numbers are the warm ones an agent
/// mostly sees, and named for what they are.
pub async fn warm_up(target: &Target, key: &str) -> Result<(), String> {
    let (title, label) = if target.is_local() {
        (
            "First calls: cargo lambda watch starting each function's debug binary (not a Lambda cold start)",
            "first call under cargo lambda watch",
        )
    } else {
        (
            "Cold starts: the first call of each function, measured apart",
            "cold",
        )
    };
    step(0, title);
    let nobody = json!({"lookupLevel": "BASIC", "query": {"emails": ["nobody@example.com"]}, "uniqueMatchRequired": false}).to_string();
    let calls: [(&str, &str, &str, Option<&str>); 10] = [
        ("lookup-customer", "POST", "/lookup", Some(nobody.as_str())),
        ("lookup-orders", "GET", "/orders/999999", None),
        ("cancel-order", "GET", "/orders/999999/cancel", None),
        ("refund-order", "GET", "/orders/999999/refund", None),
        ("update-address", "GET", "/orders/999999/address", None),
        ("create-discount", "GET", "/customers/1/discount", None),
        (
            "create-gift-certificate",
            "GET",
            "/customers/1/gift-certificate",
            None,
        ),
        ("add-order-note", "GET", "/orders/999999/note", None),
        (
            "create-replacement",
            "GET",
            "/orders/999999/replacement",
            None,
        ),
        (
            "add-store-credit",
            "GET",
            "/customers/999999/store-credit",
            None,
        ),
    ];
    for (function, method, path, body) in calls {
        let r = send(target, Some(key), method, path, body).await?;
        println!(
            "   {function:<24} {:>6} ms {label} ({} {path} → {})",
            r.millis, method, r.status
        );
    }
    if target.is_local() {
        println!("   A real Lambda cold start of these release binaries is {LAMBDA_INIT}.");
    }
    println!("   Every time below is a warm call (the process is already running), measured from this client through the local stack.");
    Ok(())
}

pub async fn play(target: &Target, key: &str) -> Result<(), String> {
    warm_up(target, key).await?;
    step(
        1,
        "Jane writes in from jane.doe@example.com: Gladly auto-links her profile (BASIC)",
    );
    let body = json!({"lookupLevel": "BASIC", "query": {"emails": ["jane.doe@example.com"], "id": "gladly-demo", "name": "Jane Doe"}, "uniqueMatchRequired": false});
    let r = send(
        target,
        Some(key),
        "POST",
        "/lookup",
        Some(&body.to_string()),
    )
    .await?;
    expect(&r, 200, "auto-link")?;
    let results = r.json["results"].as_array().cloned().unwrap_or_default();
    if results.len() != 1 {
        return Err(format!(
            "auto-link should find exactly one customer, found {}",
            results.len()
        ));
    }
    let id = results[0]["externalCustomerId"]
        .as_str()
        .unwrap_or("")
        .to_string();
    println!(
        "   linked to BigCommerce customer {id}: {} ({} ms)",
        results[0]["name"].as_str().unwrap_or(""),
        r.millis
    );

    step(
        2,
        "The agent opens the profile: details, recent orders, tracking and actions (DETAILED)",
    );
    let detailed = json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": id, "id": "gladly-demo"}, "uniqueMatchRequired": true});
    let r = send(
        target,
        Some(key),
        "POST",
        "/lookup",
        Some(&detailed.to_string()),
    )
    .await?;
    expect(&r, 200, "detailed lookup")?;
    let p = &r.json["results"][0];
    println!(
        "   {} · {} · store credit {} ({} ms)",
        p["name"].as_str().unwrap_or(""),
        p["address"].as_str().unwrap_or(""),
        p["customAttributes"]["storeCreditAmount"]
            .as_str()
            .unwrap_or(""),
        r.millis
    );
    orders_table(p);

    step(3, "\"Please cancel my pending order\": cancel order #102");
    let _ = act(
        target,
        key,
        "/orders/102/cancel",
        json!({"reason": "customer_request", "note": "asked in chat"}),
        "cancel",
        "",
    )
    .await?;

    step(
        4,
        "\"One mug arrived broken\": partially refund order #103, and return it to stock",
    );
    let (action, _) = act(
        target,
        key,
        "/orders/103/refund",
        json!({"mode": "partial", "qty_1004": "1", "reason": "damaged", "note": "photo in chat", "restock": true}),
        "refund",
        "",
    )
    .await?;
    println!("   the agent double-clicks: the same form is submitted again");
    let again = send(
        target,
        Some(key),
        "POST",
        &action,
        Some(
            &json!({"mode": "partial", "qty_1004": "1", "reason": "damaged", "restock": true})
                .to_string(),
        ),
    )
    .await?;
    expect(&again, 200, "repeat")?;
    println!(
        "   → same answer, no second refund: {}",
        again.json["message"].as_str().unwrap_or("")
    );

    step(
        5,
        "\"I moved last week\": order #101 has not shipped, so its address changes; a note tells the team",
    );
    let _ = act(
        target,
        key,
        "/orders/101/address",
        json!({"first_name": "Jane", "last_name": "Doe", "street_1": "200 Congress Ave",
               "city": "Austin", "state": "TX", "zip": "78701", "country_iso2": "US"}),
        "address change",
        "",
    )
    .await?;
    let _ = act(
        target,
        key,
        "/orders/101/note",
        json!({"note": "Jane moved to 200 Congress Ave; check older orders too."}),
        "order note",
        "and a note for the team: ",
    )
    .await?;

    step(
        6,
        "\"Sorry about that\": a 10% discount code for her next order",
    );
    let seg = url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>();
    let _ = act(
        target,
        key,
        &format!("/customers/{seg}/discount"),
        json!({"type": "percent", "value": "10", "days": "30", "uses": "1"}),
        "discount",
        "",
    )
    .await?;

    step(
        7,
        "And a $15 goodwill gift certificate and $5 of store credit for the trouble, and a replacement for what broke",
    );
    let _ = act(
        target,
        key,
        &format!("/customers/{seg}/gift-certificate"),
        json!({"amount": "15", "to_name": "Jane Doe", "to_email": "jane.doe@example.com",
               "from_email": "care@example.com", "message": "Sorry about the mug!"}),
        "gift certificate",
        "",
    )
    .await?;
    // Her shipped order #104 came with the beans bag split: one more goes out, free.
    let _ = act(
        target,
        key,
        "/orders/104/replacement",
        json!({"qty_1007": "1", "reason": "damaged", "note": "Bag split in transit."}),
        "replacement",
        "and for her shipped order #104, whose bag of beans split: ",
    )
    .await?;
    let _ = act(
        target,
        key,
        &format!("/customers/{seg}/store-credit"),
        json!({"amount": "5", "reason": "damaged"}),
        "store credit",
        "and store credit on her account: ",
    )
    .await?;

    step(
        8,
        "Gladly looks again: the cancel and the refund show, and the actions follow",
    );
    let r = send(
        target,
        Some(key),
        "POST",
        "/lookup",
        Some(&detailed.to_string()),
    )
    .await?;
    expect(&r, 200, "detailed lookup")?;
    orders_table(&r.json["results"][0]);

    step(
        9,
        "Anyone else calling the URL without Gladly's signature is refused",
    );
    let r = send(target, None, "POST", "/lookup", Some(&body.to_string())).await?;
    expect(&r, 401, "unsigned")?;
    println!(
        "   → 401: {}",
        r.json["errors"][0]["message"].as_str().unwrap_or("")
    );
    println!("\n\x1b[1mDemo finished.\x1b[0m");
    Ok(())
}

pub async fn smoke(target: &Target, key: &str) -> Result<(), String> {
    let body = json!({"lookupLevel": "BASIC", "query": {"emails": ["smoke-test@example.invalid"], "id": "smoke"}, "uniqueMatchRequired": false}).to_string();
    let r = send(target, None, "POST", "/lookup", Some(&body)).await?;
    expect(&r, 401, "an unsigned request must be refused")?;
    println!("ok   unsigned request refused (401, {} ms)", r.millis);
    let r = send(target, Some(key), "POST", "/lookup", Some(&body)).await?;
    expect(&r, 200, "a signed lookup must answer")?;
    if !r.json["results"].is_array() {
        return Err(format!(
            "a signed lookup must answer {{\"results\": [...]}}, got {}",
            r.json
        ));
    }
    println!(
        "ok   signed lookup answered 200 with results ({} ms)",
        r.millis
    );
    let r = send(target, Some(key), "GET", "/orders/0", None).await?;
    if r.status != 400 {
        return Err(format!("GET /orders/0 should be 400, got {}", r.status));
    }
    println!(
        "ok   lookup-orders reachable and validating ({} ms)",
        r.millis
    );
    Ok(())
}
