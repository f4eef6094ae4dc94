//! `make bench-quota`: the adaptor sharing one store's API quota with the merchant's other app.
//!
//! BigCommerce gives a store one quota (150 requests per 30 s fixed window on Plus and Standard),
//! shared by every app the merchant runs. This runs the real lookup-customer handler in-process
//! against the sandbox store with that rate limit on and 50 ms of latency per call:
//!
//! * conversations arrive at `RATE` per second (Poisson, drawn from a printed seed; `SEED`
//!   repeats the draws), each from a crowd of 400 generated registered shoppers (one shipped and
//!   one unshipped order each): Gladly's auto-link (BASIC by email), then a DETAILED lookup of
//!   the linked id, and for 30 % a second DETAILED 2 to 10 s later (the agent coming back);
//! * `CONTAINERS` warm containers of the function, each its own `App`, each serving one request
//!   at a time; a request waits for a free one (FIFO), and the wait counts in its time;
//! * another app spends `OTHER` calls per second on the same store and counts its 429s.
//!
//! The sandbox runs on its own OS thread with its own runtime (sharing the bench's runtime skews
//! timing). The load is bounded: arrivals stop after `DURATION` s, and whatever is still running
//! `GRACE` later is abandoned and reported. It prints what it measured and a verdict against the
//! targets, and exits 0 either way: it is a measurement. It exits 2 for bad input, 1 if it could
//! not run.

mod common;

use bigcommerce_sandbox::crowd::{with_crowd, Shopper};
use bigcommerce_sandbox::state::{AppState, LoggedRequest};
use bigcommerce_sandbox::{start, Settings as SandboxSettings, DEFAULT_SEED};
use common::{signed_lookup, KEY};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use shared::app::App;
use shared::cache::Table;
use shared::config::{SecretSource, Settings};
use shared::handlers::lookup_customer;
use shared::quota::{self, Share};
use shared::telemetry::{self, RequestStats};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

const SHOPPERS: usize = 400;
const QUOTA: u32 = 150;
const WINDOW: Duration = Duration::from_secs(30);
const LATENCY: Duration = Duration::from_millis(50);
const REVISIT_SHARE: f64 = 0.3;
/// After the last arrival, how long the last conversations may take (a revisit is at most 10 s
/// later, each lookup gives up at 4 s, plus queueing) before the bench stops waiting.
const GRACE: Duration = Duration::from_secs(45);
/// How the merchant's other app calls the store: the sandbox logs it, and the adaptor's own
/// client says `gladly-bigcommerce/<version>`.
const OTHER_AGENT: &str = "merchant-other-app/1.0";
const ADAPTOR_AGENT: &str = "gladly-bigcommerce/";

// ---------------- knobs ----------------

#[derive(Debug, Clone, Copy)]
struct Knobs {
    rate: f64,
    containers: usize,
    other: f64,
    duration: u64,
    seed: u64,
    /// The shared cache on (a DynamoDB table in moto), or off to measure without it.
    cache: bool,
    /// The store secret's `quota_share`.
    share: Share,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn decimal(name: &str, default: f64, min: f64, max: f64, unit: &str) -> Result<f64, String> {
    let Some(raw) = env(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (min..=max).contains(v))
        .ok_or_else(|| format!("{name} must be a number from {min} to {max} ({unit}), not {raw:?}"))
}

fn whole(name: &str, default: u64, min: u64, max: u64, unit: &str) -> Result<u64, String> {
    let Some(raw) = env(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            format!("{name} must be a whole number from {min} to {max} ({unit}), not {raw:?}")
        })
}

fn knobs() -> Result<Knobs, String> {
    let seed = match env("SEED") {
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 % 1_000_000_000)
            .unwrap_or(1),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("SEED must be a whole number (a printed seed), not {raw:?}"))?,
    };
    Ok(Knobs {
        rate: decimal("RATE", 1.0, 0.01, 50.0, "conversations per second")?,
        containers: whole("CONTAINERS", 4, 1, 100, "warm containers")? as usize,
        other: decimal("OTHER", 2.0, 0.0, 50.0, "the other app's calls per second")?,
        duration: whole("DURATION", 180, 1, 3600, "seconds of arrivals")?,
        seed,
        cache: whole("CACHE", 1, 0, 1, "1: the shared cache on, 0: off")? == 1,
        share: {
            let share = decimal("SHARE", 0.5, 0.01, 1.0, "the secret's quota_share")?;
            Share::parse(&share.to_string())
                .ok_or_else(|| format!("SHARE {share} is no quota_share"))?
        },
    })
}

// ---------------- the sandbox, on its own thread ----------------

struct Store {
    base: String,
    hash: String,
    token: String,
    state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Store {
    /// The sandbox with `seed`, on a thread and a runtime of its own, on a loopback port.
    fn start(seed: bigcommerce_sandbox::Seed, settings: SandboxSettings) -> Result<Self, String> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sandbox".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("sandbox runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let addr = SocketAddr::from(([127, 0, 0, 1], 0));
                    match start(seed, settings, addr).await {
                        Ok(sb) => {
                            let info = (sb.base_url(), sb.store_hash.clone(), sb.token.clone());
                            let _ = ready_tx.send(Ok((info, sb.state.clone())));
                            let _ = stopped.await;
                            drop(sb);
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("sandbox: {e}")));
                        }
                    }
                });
            })
            .map_err(|e| format!("sandbox thread: {e}"))?;
        let ((base, hash, token), state) = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|e| format!("sandbox did not start: {e}"))??;
        Ok(Store {
            base,
            hash,
            token,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------- the containers ----------------

/// One warm container: its own `App` (memory caches, HTTP client, quota watch), sharing the one
/// cache table with the others, as Lambda containers share the stack's DynamoDB table.
fn container(secret: &str, cache: Option<&Table>) -> App {
    let app = App::new(
        Settings {
            secret_id: "bench-quota".into(),
            order_limit: 10,
            under_sam_local: false,
        },
        SecretSource::Fixed(secret.to_string()),
    );
    match cache {
        Some(t) => app.with_cache(t.clone()),
        None => app,
    }
}

/// The lookup cache table, as the SAM template makes it, in moto (`scripts/with-moto`).
async fn cache_table() -> Result<Table, String> {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    let endpoint = env("MOTO_ENDPOINT")
        .ok_or("MOTO_ENDPOINT is not set: run it as make bench-quota (scripts/with-moto)")?;
    let client = shared::config::dynamodb_client(Some(&endpoint));
    let name = format!("bench-cache-{}", std::process::id());
    let key = |b: Result<KeySchemaElement, _>| b.map_err(|e| format!("table: {e}"));
    client
        .create_table()
        .table_name(&name)
        .key_schema(key(KeySchemaElement::builder()
            .attribute_name("k")
            .key_type(KeyType::Hash)
            .build())?)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("k")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| format!("table: {e}"))?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cache table: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(&e)
            )
        })?;
    Ok(Table::dynamo(&name, Some(&endpoint)))
}

/// Parts of one lookup answered from the shared cache, from its stats.
fn cache_hits(stats: &RequestStats) -> Option<u64> {
    Some(stats.cache_hits.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Basic,
    Detailed,
}

/// One lookup as Gladly saw it.
#[derive(Debug, Clone)]
struct Lookup {
    level: Level,
    status: u16,
    /// When it was asked, since the sandbox started (near enough: since just before).
    at: Duration,
    /// From asking to the answer, waiting for a free container included.
    wall: Duration,
    waited: Duration,
    stats: RequestStats,
    body: Value,
}

/// The warm containers: a request takes a free one (first come, first served) and gives it back.
struct Containers {
    apps: Vec<App>,
    /// The sandbox's clock: its log's `at_ms` count from here.
    t0: Instant,
    free_tx: mpsc::UnboundedSender<usize>,
    free_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<usize>>,
}

impl Containers {
    fn new(n: usize, secret: &str, cache: Option<&Table>, t0: Instant) -> Self {
        let (free_tx, free_rx) = mpsc::unbounded_channel();
        for i in 0..n {
            let _ = free_tx.send(i);
        }
        Containers {
            apps: (0..n).map(|_| container(secret, cache)).collect(),
            t0,
            free_tx,
            free_rx: tokio::sync::Mutex::new(free_rx),
        }
    }

    async fn lookup(&self, level: Level, body: Value) -> Lookup {
        let asked = Instant::now();
        // tokio's Mutex is fair: requests queue for a container in the order they came.
        let free = self.free_rx.lock().await.recv().await;
        let waited = asked.elapsed();
        let Some(i) = free.filter(|i| *i < self.apps.len()) else {
            return Lookup {
                level,
                status: 0,
                at: asked.saturating_duration_since(self.t0),
                wall: asked.elapsed(),
                waited,
                stats: RequestStats::default(),
                body: Value::Null,
            };
        };
        let handler = lookup_customer::handle(&self.apps[i], signed_lookup(&body.to_string()));
        let (resp, stats) = telemetry::gather(handler).await;
        let _ = self.free_tx.send(i);
        let status = resp.status().as_u16();
        let body = serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null);
        Lookup {
            level,
            status,
            at: asked.saturating_duration_since(self.t0),
            wall: asked.elapsed(),
            waited,
            stats,
            body,
        }
    }
}

// ---------------- the conversations ----------------

/// One conversation, drawn before the run so the seed alone decides the load.
#[derive(Debug, Clone)]
struct Conversation {
    n: usize,
    at: Duration,
    shopper: Shopper,
    /// The agent comes back this much later for a second DETAILED.
    revisit: Option<Duration>,
}

fn plan(k: &Knobs, crowd: &[Shopper]) -> Vec<Conversation> {
    let mut rng = SmallRng::seed_from_u64(k.seed);
    let end = Duration::from_secs(k.duration);
    let mut at = Duration::ZERO;
    let mut out = Vec::new();
    loop {
        // Poisson arrivals: exponential gaps with mean 1 / RATE.
        let u: f64 = rng.random();
        at += Duration::from_secs_f64(-(1.0 - u).ln() / k.rate);
        if at >= end || crowd.is_empty() {
            return out;
        }
        let shopper = crowd[rng.random_range(0..crowd.len())].clone();
        let revisit = rng
            .random_bool(REVISIT_SHARE)
            .then(|| Duration::from_secs_f64(rng.random_range(2.0..=10.0)));
        out.push(Conversation {
            n: out.len(),
            at,
            shopper,
            revisit,
        });
    }
}

/// Auto-linked: 200 with exactly one result, whose email is the shopper's. Its id, if so.
fn linked(l: &Lookup, email: &str) -> Option<String> {
    let results = l.body["results"].as_array()?;
    let [one] = results.as_slice() else {
        return None;
    };
    let matches = one["emails"].as_array().is_some_and(|es| {
        es.iter().any(|e| {
            e["original"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(email))
        })
    });
    let id = one["externalCustomerId"].as_str()?;
    (l.status == 200 && matches).then(|| id.to_string())
}

#[derive(Default)]
struct Outcome {
    lookups: Vec<Lookup>,
    /// Conversations whose auto-link failed (the agent then linked by hand).
    failed_links: Vec<String>,
}

async fn converse(
    c: Conversation,
    start: Instant,
    containers: Arc<Containers>,
    out: Arc<Mutex<Outcome>>,
) {
    tokio::time::sleep_until(start + c.at).await;
    let keep = |l: &Lookup| {
        if let Ok(mut o) = out.lock() {
            o.lookups.push(l.clone());
        }
    };
    let basic = json!({"lookupLevel": "BASIC", "query": {"emails": [c.shopper.email], "id": format!("gladly-{}", c.n)}});
    let b = containers.lookup(Level::Basic, basic).await;
    keep(&b);
    let id = match linked(&b, &c.shopper.email) {
        Some(id) => id,
        None => {
            let why = match b.body["results"].as_array().map(Vec::len) {
                _ if b.status != 200 => format!("{}", b.status),
                Some(n) => format!("200 with {n} results"),
                None => "200 unreadable".into(),
            };
            if let Ok(mut o) = out.lock() {
                o.failed_links.push(why);
            }
            // The agent finds the shopper by hand and links them; the profile still opens.
            c.shopper.customer_id.to_string()
        }
    };
    let detailed = json!({"lookupLevel": "DETAILED", "query": {"externalCustomerId": id}});
    keep(&containers.lookup(Level::Detailed, detailed.clone()).await);
    if let Some(later) = c.revisit {
        tokio::time::sleep(later).await;
        keep(&containers.lookup(Level::Detailed, detailed).await);
    }
}

// ---------------- the other app ----------------

#[derive(Default)]
struct Other {
    statuses: BTreeMap<u16, u64>,
}

async fn other_app(k: Knobs, store_url: String, token: String, start: Instant) -> Other {
    let mut other = Other::default();
    if k.other <= 0.0 {
        return other;
    }
    let client = match reqwest::Client::builder()
        .user_agent(OTHER_AGENT)
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(_) => return other,
    };
    let calls = (k.duration as f64 * k.other).floor() as u64;
    let mut set = JoinSet::new();
    for i in 0..calls {
        tokio::time::sleep_until(start + Duration::from_secs_f64(i as f64 / k.other)).await;
        let path = if i % 2 == 0 {
            "/v3/catalog/products?limit=5"
        } else {
            "/v2/orders?limit=5"
        };
        // Each call on its own, so a slow answer never shifts the schedule.
        let req = client
            .get(format!("{store_url}{path}"))
            .header("x-auth-token", &token)
            .header("accept", "application/json");
        set.spawn(async move { req.send().await.map(|r| r.status().as_u16()).unwrap_or(0) });
    }
    while let Some(r) = set.join_next().await {
        *other.statuses.entry(r.unwrap_or(0)).or_default() += 1;
    }
    other
}

// ---------------- the report ----------------

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Nearest-rank percentile, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn statuses<'a>(ls: impl Iterator<Item = &'a Lookup>) -> BTreeMap<u16, u64> {
    let mut m = BTreeMap::new();
    for l in ls {
        *m.entry(l.status).or_default() += 1;
    }
    m
}

fn list(m: &BTreeMap<u16, u64>) -> String {
    m.iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per rate-limit window of the store: (adaptor served, adaptor 429, other served, other 429).
fn windows(log: &[LoggedRequest]) -> BTreeMap<u64, [u64; 4]> {
    let mut w: BTreeMap<u64, [u64; 4]> = BTreeMap::new();
    for r in log {
        let Some(n) = r.window else { continue };
        let who = if r.user_agent.starts_with(ADAPTOR_AGENT) {
            0
        } else if r.user_agent == OTHER_AGENT {
            2
        } else {
            continue;
        };
        let throttled = usize::from(r.status == 429);
        w.entry(n).or_default()[who + throttled] += 1;
    }
    w
}

fn report(
    k: &Knobs,
    outcome: &Outcome,
    other: &Other,
    log: &[LoggedRequest],
    planned: &[Conversation],
    unfinished: usize,
) {
    let lookups = &outcome.lookups;
    let basic: Vec<&Lookup> = lookups.iter().filter(|l| l.level == Level::Basic).collect();
    let detailed: Vec<&Lookup> = lookups
        .iter()
        .filter(|l| l.level == Level::Detailed)
        .collect();
    let d_total = detailed.len() as u64;
    let d_ok = detailed.iter().filter(|l| l.status == 200).count() as u64;
    let d_5xx = detailed.iter().filter(|l| l.status >= 500).count() as u64;
    let all_5xx = lookups.iter().filter(|l| l.status >= 500).count() as u64;
    let partial: Vec<&&Lookup> = detailed
        .iter()
        .filter(|l| l.status == 200 && !l.stats.left_out.is_empty())
        .collect();
    let mut parts: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &partial {
        for p in &l.stats.left_out {
            *parts.entry(p).or_default() += 1;
        }
    }
    let is_complete = |l: &Lookup| {
        l.status == 200
            && l.stats.left_out.is_empty()
            && l.body["results"].as_array().is_some_and(|r| r.len() == 1)
    };
    let complete = detailed.iter().filter(|l| is_complete(l)).count() as u64;
    let mut why_failed: BTreeMap<&str, u64> = BTreeMap::new();
    for w in &outcome.failed_links {
        *why_failed.entry(w.as_str()).or_default() += 1;
    }
    let failed_links = outcome.failed_links.len() as u64;
    let mut walls: Vec<Duration> = detailed.iter().map(|l| l.wall).collect();
    walls.sort();
    let mut waits: Vec<Duration> = lookups.iter().map(|l| l.waited).collect();
    waits.sort();

    let per_window = windows(log);
    let served: Vec<u64> = per_window.values().map(|w| w[0]).collect();
    let attempts: Vec<u64> = per_window.values().map(|w| w[0] + w[1]).collect();
    // The last window is cut short by the end of the run: the mean leaves it out.
    let mean = |v: &[u64]| {
        let full = if v.len() > 1 { &v[..v.len() - 1] } else { v };
        full.iter().sum::<u64>() as f64 / full.len().max(1) as f64
    };
    let max = |v: &[u64]| v.iter().copied().max().unwrap_or(0);
    let adaptor_calls: u64 = per_window.values().map(|w| w[0] + w[1]).sum();
    let adaptor_429: u64 = per_window.values().map(|w| w[1]).sum();
    let other_total: u64 = other.statuses.values().sum();
    let other_429 = other.statuses.get(&429).copied().unwrap_or(0);
    let stats_calls: u64 = lookups.iter().map(|l| u64::from(l.stats.bc_calls)).sum();
    let mut by_route: BTreeMap<String, u64> = BTreeMap::new();
    for r in log
        .iter()
        .filter(|r| r.user_agent.starts_with(ADAPTOR_AGENT))
    {
        *by_route
            .entry(format!("{} {}", r.method, r.route))
            .or_default() += 1;
    }
    let share_limit = u64::from(k.share.calls(QUOTA));
    // `BENCH_REQUESTS=1`: the adaptor's every call to the store, in order, to see where a
    // window's share went.
    if std::env::var("BENCH_REQUESTS").is_ok_and(|v| v == "1") {
        for r in log
            .iter()
            .filter(|r| r.user_agent.starts_with(ADAPTOR_AGENT))
        {
            eprintln!(
                "{:>7} ms  window {:?}  {} {} {}?{}",
                r.at_ms, r.window, r.status, r.method, r.path, r.query
            );
        }
    }

    println!();
    println!(
        "conversations: {} planned, {} with a second DETAILED; {unfinished} still running at the stop (abandoned)",
        planned.len(),
        planned.iter().filter(|c| c.revisit.is_some()).count()
    );
    println!(
        "lookups: {} total ({} BASIC, {d_total} DETAILED); 5xx: {all_5xx}",
        lookups.len(),
        basic.len()
    );
    // Why each 5xx: an essential call held back for the share, or BigCommerce itself.
    let why_5xx: Vec<String> = lookups
        .iter()
        .filter(|l| l.status >= 500)
        .map(|l| {
            format!(
                "{} held back {} (essential {}), {} calls, {} errors, {} ms",
                if l.level == Level::Basic {
                    "BASIC"
                } else {
                    "DETAILED"
                },
                l.stats.held_back,
                l.stats.held_back_essential,
                l.stats.bc_calls,
                l.stats.bc_errors,
                l.wall.as_millis()
            )
        })
        .collect();
    if !why_5xx.is_empty() {
        println!("  the 5xx: {}", why_5xx.join("; "));
    }
    println!(
        "DETAILED answered: 200: {d_ok}, 5xx: {d_5xx} ({:.1} %); every status: {}",
        pct(d_5xx, d_total),
        list(&statuses(detailed.iter().copied()))
    );
    println!(
        "DETAILED with a part left out: {} ({})",
        partial.len(),
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts
                .iter()
                .map(|(p, n)| format!("{p} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    // Why: held back for the share, or BigCommerce's errors and timeouts (the deadline).
    let held = partial.iter().filter(|l| l.stats.held_back > 0).count();
    let erred = partial
        .iter()
        .filter(|l| l.stats.held_back == 0 && l.stats.bc_errors > 0)
        .count();
    println!(
        "  why: held back for the share {held}, BigCommerce errors {erred}, neither (the deadline) {}",
        partial.len() - held - erred
    );
    println!(
        "DETAILED complete (200, one profile, nothing left out): {complete} of {d_total} ({:.1} %)",
        pct(complete, d_total)
    );
    // Kept tracking accumulates: a shopper seen before costs no tracking call for a day.
    let mut by_minute: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for l in &detailed {
        let m = by_minute.entry(l.at.as_secs() / 60).or_default();
        m.1 += 1;
        m.0 += u64::from(is_complete(l));
    }
    println!(
        "  complete by minute of the run: {}",
        by_minute
            .values()
            .map(|(c, n)| format!("{:.0} %", pct(*c, *n)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "failed auto-links: {failed_links} of {} ({:.1} %){}",
        basic.len(),
        pct(failed_links, basic.len() as u64),
        if why_failed.is_empty() {
            String::new()
        } else {
            format!(
                "; answered {}",
                why_failed
                    .iter()
                    .map(|(w, n)| format!("{w} x{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    println!(
        "DETAILED wall time (waiting for a container included): p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms; waiting for a container: p95 {:.0} ms over all lookups",
        percentile(&walls, 50.0),
        percentile(&walls, 95.0),
        percentile(&walls, 100.0),
        percentile(&waits, 95.0)
    );
    println!(
        "adaptor's BigCommerce calls per 30 s window (the store's windows, counted from its log by User-Agent): served max {} mean {:.1}; with 429'd ones max {} mean {:.1}",
        max(&served),
        mean(&served),
        max(&attempts),
        mean(&attempts)
    );
    println!(
        "  per window (adaptor served+429 / other served+429): {}",
        per_window
            .values()
            .map(|w| format!("{}+{}/{}+{}", w[0], w[1], w[2], w[3]))
            .collect::<Vec<_>>()
            .join("  ")
    );
    // Where the share went: the calls a lookup cannot answer without, and what was left of the
    // adaptor's own ceiling (its share less the 5 % it keeps for calls in flight) for tracking
    // and images, against what the cards held back. Share left unused in a window that held
    // tracking back is what a better reckoning of the rest of the window could still load.
    let ceiling = u64::from(quota::ceiling(k.share, QUOTA));
    let optional_route = |r: &LoggedRequest| {
        r.route.ends_with("/shipments") || r.route.starts_with("/v3/catalog/products")
    };
    let essential_calls = log
        .iter()
        .filter(|r| r.user_agent.starts_with(ADAPTOR_AGENT) && r.status != 429)
        .filter(|r| !optional_route(r))
        .count() as u64;
    // The store starts a window at the first request after the last one ended.
    let mut starts: BTreeMap<u64, u64> = BTreeMap::new();
    for r in log {
        if let Some(n) = r.window {
            let s = starts.entry(n).or_insert(r.at_ms);
            *s = (*s).min(r.at_ms);
        }
    }
    let mut held: BTreeMap<u64, u64> = BTreeMap::new();
    for l in lookups {
        let ms = l.at.as_millis() as u64;
        if let Some((n, _)) = starts.iter().rev().find(|(_, s)| **s <= ms) {
            *held.entry(*n).or_default() += u64::from(
                l.stats
                    .held_back
                    .saturating_sub(l.stats.held_back_essential),
            );
        }
    }
    let unused_while_held: u64 = per_window
        .iter()
        .filter(|(n, _)| held.get(n).copied().unwrap_or(0) > 0)
        .map(|(_, w)| ceiling.saturating_sub(w[0]))
        .sum();
    let essential_per_window = essential_calls as f64 / per_window.len().max(1) as f64;
    println!(
        "essential calls (auto-links, customers, orders, guest index, store settings): {essential_calls}, {essential_per_window:.1} per window; of the adaptor's ceiling ({ceiling} a window: the share less 5 % for calls in flight) that leaves {:.1} per window for tracking and images",
        ceiling as f64 - essential_per_window,
    );
    println!(
        "  per window (served of {ceiling} / tracking and images held back): {}",
        per_window
            .iter()
            .map(|(n, w)| format!("{}/{}", w[0], held.get(n).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
    );
    println!(
        "  left unused in windows that held tracking back: {unused_while_held} calls ({:.1} per window): the most a better reckoning of each window could have spent on tracking",
        unused_while_held as f64 / per_window.len().max(1) as f64
    );
    println!(
        "429s the store answered: adaptor {adaptor_429} of {adaptor_calls} calls ({:.1} %), other app {other_429} of {other_total} ({:.1} %)",
        pct(adaptor_429, adaptor_calls),
        pct(other_429, other_total)
    );
    println!("  other app's answers: {}", list(&other.statuses));
    println!(
        "adaptor's calls per lookup (its own stats): BASIC {:.2}, DETAILED {:.2}; {stats_calls} in its stats, {adaptor_calls} in the store's log",
        basic.iter().map(|l| f64::from(l.stats.bc_calls)).sum::<f64>() / basic.len().max(1) as f64,
        detailed.iter().map(|l| f64::from(l.stats.bc_calls)).sum::<f64>() / detailed.len().max(1) as f64,
    );
    println!(
        "  by route: {}",
        by_route
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let hits: Vec<u64> = lookups
        .iter()
        .filter_map(|l| cache_hits(&l.stats))
        .collect();
    let hits: Vec<u64> = if k.cache { hits } else { Vec::new() };
    if hits.is_empty() {
        println!("cache hits: n/a (the shared cache is off: CACHE=0)");
    } else {
        println!(
            "cache hits: {} over {} lookups",
            hits.iter().sum::<u64>(),
            hits.len()
        );
    }

    let p95 = percentile(&walls, 95.0);
    let mut misses = Vec::new();
    if all_5xx > 0 {
        misses.push(format!("{all_5xx} lookup 5xx (target 0)"));
    }
    if failed_links > 0 {
        misses.push(format!("{failed_links} failed auto-links (target 0)"));
    }
    if pct(other_429, other_total) > 1.0 {
        misses.push(format!(
            "other app 429 on {:.1} % (target <= 1 %)",
            pct(other_429, other_total)
        ));
    }
    if max(&served) > share_limit {
        misses.push(format!(
            "adaptor took up to {} calls in a window (target <= {share_limit}, {} of {QUOTA})",
            max(&served),
            k.share.value()
        ));
    }
    if pct(complete, d_total) < 90.0 {
        misses.push(format!(
            "{:.1} % of DETAILED complete (target >= 90 %)",
            pct(complete, d_total)
        ));
    }
    if p95 >= 1500.0 {
        misses.push(format!(
            "p95 DETAILED {:.2} s (target < 1.5 s)",
            p95 / 1000.0
        ));
    }
    if d_total == 0 {
        misses.push("no DETAILED lookup ran".into());
    }
    println!();
    if misses.is_empty() {
        println!("verdict: PASS (no lookup 5xx, no failed auto-link, other app <= 1 % 429, adaptor <= {share_limit} calls in every window, >= 90 % of DETAILED complete, p95 DETAILED < 1.5 s)");
    } else {
        println!("verdict: FAIL: {}", misses.join("; "));
    }
    println!(
        "repeat with: make bench-quota RATE={} CONTAINERS={} OTHER={} DURATION={} SEED={} SHARE={} CACHE={}",
        k.rate,
        k.containers,
        k.other,
        k.duration,
        k.seed,
        k.share.value(),
        u8::from(k.cache)
    );
}

// ---------------- main ----------------

fn main() -> ExitCode {
    // `BENCH_LOG=1`: the lookups' log lines (INFO and above) on stderr, to see why.
    if std::env::var("BENCH_LOG").is_ok_and(|v| v == "1") {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(std::io::stderr)
            .init();
    }
    let k = match knobs() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("bench-quota: {e}");
            return ExitCode::from(2);
        }
    };
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => match rt.block_on(run(k)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench-quota could not run: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("bench-quota could not run: runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(k: Knobs) -> Result<(), String> {
    let crowd = with_crowd(DEFAULT_SEED, SHOPPERS).map_err(|e| format!("crowd: {e}"))?;
    let seed = crowd.parse().map_err(|e| format!("crowd seed: {e}"))?;
    let t0 = Instant::now();
    let store = Store::start(
        seed,
        SandboxSettings {
            latency: LATENCY,
            quota: QUOTA,
            window: WINDOW,
        },
    )?;
    let secret = json!({"store_hash": store.hash, "access_token": store.token,
        "api_base_url": store.base, "gladly_signing_key": KEY, "quota_share": k.share.value().to_string()});
    let cache = if k.cache {
        Some(cache_table().await?)
    } else {
        None
    };
    let containers = Arc::new(Containers::new(
        k.containers,
        &secret.to_string(),
        cache.as_ref(),
        t0,
    ));
    let planned = plan(&k, &crowd.shoppers);

    println!(
        "bench-quota: RATE={} conversations/s (Poisson), CONTAINERS={}, OTHER={} calls/s, DURATION={} s, SEED={}, SHARE={}, CACHE={}",
        k.rate, k.containers, k.other, k.duration, k.seed, k.share.value(), u8::from(k.cache)
    );
    println!(
        "store: the sandbox, {QUOTA} requests per {} s window, {} ms per call; {SHOPPERS} shoppers with a shipped and an unshipped order each; {} conversations drawn",
        WINDOW.as_secs(),
        LATENCY.as_millis(),
        planned.len()
    );

    let start = Instant::now() + Duration::from_millis(200);
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let mut talks = JoinSet::new();
    for c in planned.iter().cloned() {
        talks.spawn(converse(c, start, containers.clone(), outcome.clone()));
    }
    let store_url = format!("{}/stores/{}", store.base, store.hash);
    let other = tokio::spawn(other_app(k, store_url, store.token.clone(), start));

    let stop_at = start + Duration::from_secs(k.duration) + GRACE;
    let mut unfinished = 0;
    if tokio::time::timeout_at(stop_at, async {
        while talks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        unfinished = talks.len();
        talks.abort_all();
    }
    let other = match tokio::time::timeout_at(stop_at, other).await {
        Ok(Ok(o)) => o,
        _ => Other::default(),
    };
    let log = store.state.requests();
    drop(store);
    let outcome = match Arc::try_unwrap(outcome) {
        Ok(m) => m.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(shared) => {
            let o = shared.lock().unwrap_or_else(|e| e.into_inner());
            Outcome {
                lookups: o.lookups.clone(),
                failed_links: o.failed_links.clone(),
            }
        }
    };
    report(&k, &outcome, &other, &log, &planned, unfinished);
    Ok(())
}
