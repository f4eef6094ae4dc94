//! A store that sells abroad, as Gladly and its agents meet it: shoppers from six countries
//! whose phones are saved as they are written there, orders in six currencies (one of them
//! shown in another), and a second storefront with its own site.

use crate::harness::*;
use serde_json::{json, Value};

/// The seeded shoppers: id, country, the phone as the store holds it, and the number in E.164
/// as Gladly sends it.
const SHOPPERS: [(u64, &str, &str, &str); 6] = [
    (28, "GB", "07400 123456", "+447400123456"),
    (29, "DE", "0151 23456789", "+4915123456789"),
    (30, "JP", "090-1234-5678", "+819012345678"),
    (31, "AU", "0412 345 678", "+61412345678"),
    (32, "IN", "81234 56789", "+918123456789"),
    (33, "KW", "500 12345", "+96550012345"),
];

async fn customer(sb: &bigcommerce_sandbox::Running, id: u64) -> Value {
    let r = reqwest::Client::new()
        .get(format!("{}/v3/customers?id:in={id}", sb.store_url()))
        .header("X-Auth-Token", &sb.token)
        .send()
        .await
        .expect("sandbox answers");
    r.json::<Value>().await.expect("json")["data"][0].clone()
}

#[tokio::test]
async fn auto_link_by_phone_finds_each_country_shopper_in_one_search() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    for (id, country, stored, e164) in SHOPPERS {
        // The premise: the store holds the local spelling, not what Gladly sends.
        let c = customer(&sb, id).await;
        assert_eq!(c["phone"], stored, "{country} shopper's stored phone");
        assert_ne!(stored, e164);

        clear_log(&sb).await;
        let body = basic(json!({"phones": [e164], "id": "gladly-phone"}));
        let resp = app
            .call(
                Function::LookupCustomer,
                signed("POST", "/lookup", &body, SIGNING_KEY),
            )
            .await;
        assert_eq!(resp.status(), 200);
        let v = json_of(&resp);
        assert_eq!(ids(&v), vec![id.to_string()], "{country}: {e164}");
        assert_eq!(
            v["results"][0]["phones"][0]["original"], e164,
            "{country}: the profile shows the number in E.164"
        );
        let (_, by_route) = calls(&sb).await;
        assert_eq!(
            by_route["GET /v3/customers"], 1,
            "{country}: one phone:in search"
        );
    }
}

/// The card of `order` in a DETAILED answer, which must show it.
fn shown(answer: &Value, order: u64) -> Value {
    let c = card(answer, order);
    assert!(!c.is_null(), "order {order} in {answer}");
    c
}

#[tokio::test]
async fn each_currency_is_shown_in_its_own_minor_units() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    for (customer, order, code, total, unit) in [
        ("28", 160, "GBP", "£53.45", "£12.00"),
        ("29", 161, "EUR", "€49.30", "€29.90"),
        ("30", 162, "JPY", "¥10900", "¥1800"),
        ("31", 163, "AUD", "A$64.90", "A$54.95"),
        ("32", 164, "INR", "₹6045.00", "₹1149.00"),
        ("33", 165, "KWD", "KWD 25.500", "KWD 4.125"),
    ] {
        let answer = app.detailed(customer).await;
        let c = shown(&answer, order);
        assert_eq!(c["currencyCode"], code, "order {order}");
        assert_eq!(c["orderTotal"], total, "order {order}");
        assert_eq!(c["products"][0]["unitPrice"], unit, "order {order}");
        assert!(
            c.get("displayCurrencyCode").is_none(),
            "order {order} was shown in the currency paid"
        );
    }
}

#[tokio::test]
async fn a_multi_currency_order_shows_what_the_shopper_paid() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // The premise: the storefront showed euros, the shopper paid pounds.
    let o = bc_order(&sb, 166).await;
    assert_eq!(
        (&o["currency_code"], &o["default_currency_code"]),
        (&json!("EUR"), &json!("GBP"))
    );
    let answer = app.detailed("29").await;
    let c = shown(&answer, 166);
    assert_eq!(c["currencyCode"], "GBP");
    assert_eq!(c["orderTotal"], "£29.45");
    assert_eq!(c["displayCurrencyCode"], "EUR");
    let note = c["note"].as_str().unwrap_or_default();
    assert!(
        note.contains("EUR") && note.contains("GBP"),
        "the agent reads why: {note}"
    );
}

#[tokio::test]
async fn a_second_storefront_order_names_its_storefront_and_links_to_its_site() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    let answer = app.detailed("29").await;
    let profile = &answer["results"][0];
    assert_eq!(
        profile["customAttributes"]["storefronts"],
        "Sandbox Kitchen Co. Europe, Sandbox Kitchen Co."
    );
    let eu = shown(&answer, 161);
    assert_eq!(eu["storefront"], "Sandbox Kitchen Co. Europe");
    assert_eq!(
        eu["customerOrderUrl"],
        "https://eu.shop.example.com/account.php?action=view_order&order_id=161"
    );
    assert!(eu["note"]
        .as_str()
        .is_some_and(|n| n.contains("Storefront: Sandbox Kitchen Co. Europe")));

    let answer = app.detailed("30").await;
    let profile = &answer["results"][0];
    assert_eq!(
        profile["customAttributes"]["storefronts"],
        "Sandbox Kitchen Co."
    );
    let home = shown(&answer, 162);
    assert_eq!(home["storefront"], "Sandbox Kitchen Co.");
    assert_eq!(
        home["customerOrderUrl"],
        "https://shop.example.com/account.php?action=view_order&order_id=162"
    );
}

#[tokio::test]
async fn refunds_in_yen_and_dinar_validate_and_send_whole_minor_units() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // (order, what is left as the form shows it, a form of it that must not appear, amounts
    // refused: one minor unit over and a decimal too many, the amount sent, BigCommerce's
    // record of it, the answer's words)
    for (order, left, not_shown, refused, sent, recorded, said) in [
        (
            162,
            "¥10900",
            "¥10900.00",
            ["10901", "1800.50"],
            "1800",
            1800.0,
            "¥1800",
        ),
        (
            165,
            "KWD 25.500",
            "KWD 25.50 ",
            ["25.501", "1.2505"],
            "1.250",
            1.25,
            "KWD 1.250",
        ),
    ] {
        let (status, form) = app.order_form(order, "refund").await;
        assert_eq!(status, 200, "{form}");
        let text = form.to_string();
        assert!(text.contains(left), "order {order}: {text}");
        assert!(!text.contains(not_shown), "order {order}: {text}");
        for amount in refused {
            let (status, v) = app
                .submit(
                    &action_url(&form),
                    json!({"mode": "partial", "amount": amount, "reason": "goodwill"}),
                )
                .await;
            assert_eq!(status, 400, "order {order}, {amount}: {v}");
        }
        assert!(
            bc_refunds(&sb, order).await["data"][0].is_null(),
            "refused: nothing sent"
        );
        let (status, v) = app
            .submit(
                &action_url(&form),
                json!({"mode": "partial", "amount": sent, "reason": "goodwill"}),
            )
            .await;
        assert_eq!(status, 200, "order {order}: {v}");
        let refunds = bc_refunds(&sb, order).await;
        assert_eq!(
            refunds["data"][0]["total_amount"].as_f64(),
            Some(recorded),
            "order {order}"
        );
        assert!(v.to_string().contains(said), "order {order}: {v}");
    }
}

#[tokio::test]
async fn a_discount_is_limited_to_the_storefronts_chosen() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    // Lena (29) has accounts on both storefronts: the form offers both together, or each.
    let resp = app
        .call(
            Function::CreateDiscount,
            signed("GET", "/customers/29/discount", "", SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let form = json_of(&resp);
    let choice = form["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["attr"] == "storefronts")
        .cloned()
        .unwrap_or_else(|| panic!("a storefront choice in {form}"));
    assert_eq!(choice["defaultValue"], "2,1");
    let offered: Vec<&str> = choice["input"]["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["text"].as_str())
        .collect();
    assert_eq!(
        offered,
        vec![
            "All the shopper's storefronts (Sandbox Kitchen Co. Europe, Sandbox Kitchen Co.)",
            "Sandbox Kitchen Co. Europe",
            "Sandbox Kitchen Co."
        ]
    );

    let path = form["actionUrl"].as_str().unwrap_or_default().to_string();
    let before = chrono::Utc::now();
    let body = json!({"type": "percent", "value": "10", "days": "30", "storefronts": "2"});
    let resp = app
        .call(
            Function::CreateDiscount,
            signed("POST", &path, &body.to_string(), SIGNING_KEY),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let v = json_of(&resp);
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("on Sandbox Kitchen Co. Europe only"),
        "{detail}"
    );
    // The end date is the store's (America/Chicago, UTC-06:00), not UTC's.
    let store_day = |t: chrono::DateTime<chrono::Utc>| {
        (t + chrono::TimeDelta::days(30) - chrono::TimeDelta::hours(6))
            .format("%Y-%m-%d")
            .to_string()
    };
    let after = chrono::Utc::now();
    assert!(
        detail.contains(&store_day(before)) || detail.contains(&store_day(after)),
        "{detail}"
    );
    let promotions = reqwest::Client::new()
        .get(format!("{}/v3/promotions", sb.store_url()))
        .header("X-Auth-Token", &sb.token)
        .send()
        .await
        .expect("sandbox answers")
        .json::<Value>()
        .await
        .expect("json");
    let made = &promotions["data"][0];
    assert_eq!(made["channels"], json!([{"id": 2}]), "{promotions}");

    // A storefront the store does not have is refused, and nothing more is made.
    let resp = app
        .call(
            Function::CreateDiscount,
            signed(
                "POST",
                "/customers/29/discount/0123456789abcdef0123456789abcdef",
                &json!({"type": "percent", "value": "10", "storefronts": "7"}).to_string(),
                SIGNING_KEY,
            ),
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(json_of(&resp)["errors"][1]["attr"], "storefronts");
}

#[tokio::test]
async fn a_slow_store_profile_leaves_the_lookup_its_time() {
    let sb = sandbox().await;
    let app = TestApp::new(&sb).await;
    fault(
        &sb,
        json!({"route": "GET /v2/store", "latency_ms": 6000, "times": 1}),
    )
    .await;
    let started = std::time::Instant::now();
    let answer = app.detailed("30").await;
    let profile = &answer["results"][0];
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_millis(3000),
        "answered in {took:?}, inside Gladly's 5 s"
    );
    // What the order and the shopper's address say is still right without the store's settings;
    // the storefront names wait for the next read.
    let c = shown(&answer, 162);
    assert_eq!(c["orderTotal"], "¥10900");
    assert!(c.get("storefront").is_none());
    assert_eq!(profile["phones"][0]["original"], "+819012345678");
    // The premise: read in time, the same card names its storefront.
    let fresh = TestApp::new(&sb).await;
    let answer = fresh.detailed("30").await;
    assert_eq!(shown(&answer, 162)["storefront"], "Sandbox Kitchen Co.");
}

#[test]
fn the_secret_may_name_the_phone_region_and_a_wrong_one_is_named() {
    let secret = |region: &str| {
        json!({"store_hash": "abc", "access_token": "t", "gladly_signing_key": "k",
               "default_phone_region": region})
        .to_string()
    };
    let cfg = shared::config::StoreConfig::from_secret(&secret(" in "));
    assert_eq!(
        cfg.ok()
            .and_then(|c| c.default_phone_region)
            .map(|r| r.code().to_string()),
        Some("IN".to_string())
    );
    let wrong = shared::config::StoreConfig::from_secret(&secret("India"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(wrong.contains("default_phone_region"), "{wrong}");
    assert!(
        !wrong.contains("India"),
        "errors name the key, never a value"
    );
}
