//! The store's customer directory (`cache::directory`): the real lookup handlers against the
//! sandbox, the shared cache in memory. Once a pass and the changes are read, an auto-link by
//! email costs no call and answers what a search would; a customer whose email changed is not
//! found under the old one, a deleted one is not found once the next pass is read, and a quiet
//! store (the default, `auto`) is never read at all.

use crate::harness::*;
use serde_json::{json, Value};
use shared::cache::{keys, Entry, MemoryTable, Table};

/// The queries of `GET /v3/customers` the store was asked since the log was cleared.
async fn customer_queries(sb: &bigcommerce_sandbox::Running) -> Vec<String> {
    get_queries(sb, "/v3/customers").await
}

fn searches(q: &[String]) -> usize {
    q.iter().filter(|q| q.contains("email%3Ain=")).count()
}

fn directory_reads(q: &[String]) -> usize {
    q.iter().filter(|q| !q.contains("%3Ain=")).count()
}

fn auto_link(email: &str) -> String {
    basic(json!({"emails": [email], "id": "gladly-auto"}))
}

async fn app_with(sb: &bigcommerce_sandbox::Running, table: &Table, mode: &str) -> TestApp {
    let mut secret = store_secret(sb);
    secret["customer_directory"] = json!(mode);
    TestApp::of(sb)
        .secret(secret)
        .cache(table.clone())
        .build()
        .await
}

/// Edits the kept directory state (`f` on its JSON), as if time had passed.
fn edit_state(memory: &MemoryTable, store: &str, f: impl FnOnce(&mut Value)) {
    let key = keys::directory(store);
    let e = memory.raw(&key).expect("the directory was written");
    let mut v: Value = serde_json::from_str(&e.value).expect("directory json");
    f(&mut v);
    memory.put_raw(
        &key,
        Entry {
            value: v.to_string(),
            at_ms: e.at_ms,
        },
    );
}

/// Moves the directory's passes and its entries' generations `ms` back, as if the pass had
/// been read that long ago (the changes still read just now).
fn age_passes(memory: &MemoryTable, store: &str, ms: i64) {
    edit_state(memory, store, |v| {
        v["gen"] = json!(v["gen"].as_i64().unwrap_or(0) - ms);
        v["complete"] = json!(v["complete"].as_i64().unwrap_or(0) - ms);
    });
    for key in memory.keys().into_iter().filter(|k| k.contains("#emails#")) {
        let Some(e) = memory.raw(&key) else { continue };
        let Ok(mut v) = serde_json::from_str::<Value>(&e.value) else {
            continue;
        };
        if let Some(gen) = v["gen"].as_i64() {
            v["gen"] = json!(gen - ms);
            memory.put_raw(
                &key,
                Entry {
                    value: v.to_string(),
                    at_ms: e.at_ms,
                },
            );
        }
    }
}

/// Auto-links until the directory serves one with no customer call; how many it took.
async fn until_served(app: &TestApp, sb: &bigcommerce_sandbox::Running, email: &str) -> usize {
    for n in 1..=6 {
        clear_log(sb).await;
        let (status, _) = app.lookup(&auto_link(email)).await;
        assert_eq!(status, 200);
        if customer_queries(sb).await.is_empty() {
            return n;
        }
    }
    panic!("the directory never served {email}");
}

#[tokio::test]
async fn once_read_an_auto_link_costs_no_call_and_answers_what_a_search_would() {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let app = app_with(&sb, &table, "on").await;
    // What a search answers, asked with the directory off.
    let (off, _) = Table::memory();
    let searching = app_with(&sb, &off, "off").await;
    clear_log(&sb).await;
    let (status, searched) = searching.lookup(&auto_link("jane.doe@example.com")).await;
    assert_eq!(status, 200, "{searched}");
    let q = customer_queries(&sb).await;
    assert_eq!((searches(&q), directory_reads(&q)), (1, 0), "{q:?}");
    // The first auto-link reads the store's one page of customers in place of its search and
    // is answered from it; the next reads the changes since.
    clear_log(&sb).await;
    let (status, paged) = app.lookup(&auto_link("jane.doe@example.com")).await;
    assert_eq!(status, 200);
    assert_eq!(paged["results"], searched["results"]);
    let q = customer_queries(&sb).await;
    assert_eq!(
        (searches(&q), directory_reads(&q)),
        (0, 1),
        "the pass: {q:?}"
    );
    assert!(
        q[0].contains("page=1") && q[0].contains("limit=250"),
        "{q:?}"
    );
    clear_log(&sb).await;
    let (status, _) = app.lookup(&auto_link("marcus.chen@example.com")).await;
    assert_eq!(status, 200);
    let q = customer_queries(&sb).await;
    assert!(
        q.len() == 1
            && q[0].contains("date_modified%3Amin=")
            && q[0].contains("sort=date_modified%3Aasc"),
        "the changes since, and no search: {q:?}"
    );
    // Now: no call at all, and the same answer as the search gave.
    clear_log(&sb).await;
    let (status, served, stats) = app
        .lookup_measured(&auto_link("Jane.Doe@Example.com"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(calls(&sb).await.0, 0, "{:?}", customer_queries(&sb).await);
    assert_eq!(served["results"], searched["results"]);
    assert!(stats.cache_hits >= 1, "{stats:?}");
    // The DETAILED after it reuses the customer the directory served.
    clear_log(&sb).await;
    let (status, card) = app.lookup(&detailed("1")).await;
    assert_eq!(status, 200, "{card}");
    assert!(customer_queries(&sb).await.is_empty());
    // Only the directory's state and emails' entries were written, under the store's hash.
    let prefix = format!("{}#", sb.store_hash);
    assert!(memory.keys().iter().all(|k| k.starts_with(&prefix)));
}

#[tokio::test]
async fn a_changed_email_is_found_under_the_new_one_only_and_a_deleted_customer_after_the_next_pass(
) {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let app = app_with(&sb, &table, "on").await;
    let took = until_served(&app, &sb, "jane.doe@example.com").await;
    assert_eq!(took, 3, "a pass and the changes first");
    let marcus = app
        .basic(json!({"emails": ["marcus.chen@example.com"]}))
        .await;
    assert!(!ids(&marcus).is_empty(), "{marcus}");
    let marcus_id: u64 = ids(&marcus)[0].parse().expect("id");

    // Marcus changes his email in the store; the directory's next change read sees it.
    let r = reqwest::Client::new()
        .put(format!("{}/v3/customers", sb.store_url()))
        .header("x-auth-token", &sb.token)
        .json(&json!([{"id": marcus_id, "email": "marcus.new@example.com"}]))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    edit_state(&memory, &sb.store_hash, |v| {
        v["caught_up_ms"] = json!(v["caught_up_ms"].as_i64().unwrap_or(0) - 45_000);
    });
    clear_log(&sb).await;
    let old = app
        .basic(json!({"emails": ["marcus.chen@example.com"]}))
        .await;
    let q = customer_queries(&sb).await;
    assert!(q.iter().any(|q| q.contains("date_modified")), "{q:?}");
    assert!(ids(&old).is_empty(), "not under the old email: {old}");
    clear_log(&sb).await;
    let new = app
        .basic(json!({"emails": ["marcus.new@example.com"]}))
        .await;
    assert_eq!(ids(&new), vec![marcus_id.to_string()], "{new}");
    assert_eq!(
        calls(&sb).await.0,
        0,
        "the change read filed him under the new one"
    );

    // Jane is deleted. Until a new pass is read the directory still vouches for her (at most
    // the pass interval); once it is read without her, her auto-link searches, finds nobody.
    let r = reqwest::Client::new()
        .delete(format!("{}/v3/customers", sb.store_url()))
        .query(&[("id:in", "1")])
        .header("x-auth-token", &sb.token)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    age_passes(&memory, &sb.store_hash, 31 * 60_000);
    // Her auto-link finds the new pass due: read first (without her), then she is searched.
    clear_log(&sb).await;
    let gone = app.basic(json!({"emails": ["jane.doe@example.com"]})).await;
    // Her guest checkouts remain: found as a guest, never as the deleted account.
    assert_eq!(
        ids(&gone),
        vec!["guest:jane.doe@example.com".to_string()],
        "{gone}"
    );
    let q = customer_queries(&sb).await;
    assert!(q.iter().any(|q| q.contains("page=1")), "a new pass: {q:?}");
    assert_eq!(searches(&q), 1, "asked, not served: {q:?}");
}

#[tokio::test]
async fn a_store_credit_retires_the_entries_and_a_quiet_store_is_never_read() {
    let sb = sandbox().await;
    let (table, memory) = Table::memory();
    let app = app_with(&sb, &table, "on").await;
    until_served(&app, &sb, "jane.doe@example.com").await;
    // An agent adds store credit to Jane: the entries written before are not served, and a
    // new pass is read.
    let (status, form) = app.form("/customers/1/store-credit").await;
    assert_eq!(status, 200, "{form}");
    let body = json!({"amount": "5", "reason": "late"});
    let (status, done) = app.submit(&action_url(&form), &body).await;
    assert_eq!(status, 200, "{done}");
    assert!(memory
        .raw(&keys::customers_changed(&sb.store_hash))
        .is_some());
    clear_log(&sb).await;
    let (status, _) = app.lookup(&auto_link("jane.doe@example.com")).await;
    assert_eq!(status, 200);
    let q = customer_queries(&sb).await;
    assert!(q.iter().any(|q| q.contains("page=1")), "a new pass: {q:?}");

    // The default, `auto`, on a quiet store: searches only, and no directory kept.
    let (quiet, memory) = Table::memory();
    let app = app_with(&sb, &quiet, "auto").await;
    clear_log(&sb).await;
    for _ in 0..4 {
        let (status, _) = app.lookup(&auto_link("jane.doe@example.com")).await;
        assert_eq!(status, 200);
    }
    let q = customer_queries(&sb).await;
    assert_eq!(directory_reads(&q), 0, "{q:?}");
    assert!(memory.raw(&keys::directory(&sb.store_hash)).is_none());
    // A table that cannot be read keeps nothing: no page is read, the auto-link searches.
    let (down, memory) = Table::memory();
    memory
        .down
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let app = app_with(&sb, &down, "on").await;
    for _ in 0..3 {
        clear_log(&sb).await;
        let (status, _) = app.lookup(&auto_link("jane.doe@example.com")).await;
        assert_eq!(status, 200);
        let q = customer_queries(&sb).await;
        assert_eq!((searches(&q), directory_reads(&q)), (1, 0), "{q:?}");
    }
    // `off` even when told the store is busy; and a value the secret cannot mean is `auto`.
    for mode in ["off", "sometimes"] {
        let (t, memory) = Table::memory();
        let app = app_with(&sb, &t, mode).await;
        for _ in 0..4 {
            let (status, _) = app.lookup(&auto_link("jane.doe@example.com")).await;
            assert_eq!(status, 200);
        }
        assert!(
            memory.raw(&keys::directory(&sb.store_hash)).is_none(),
            "{mode}"
        );
    }
}
