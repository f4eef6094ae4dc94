//! The running store: seeded data behind a lock, plus the test controls (faults, latency, request
//! log, rate-limit window).

use crate::errors::{ApiError, Family};
use crate::model::{Customer, Order, Product, Seed, StoreInfo};
use crate::views::Ctx;
use serde::Serialize;
use serde_json::Value;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub struct AppState {
    seed: Seed,
    started: Instant,
    pub store: StoreInfo,
    data: Mutex<Data>,
    controls: Mutex<Controls>,
}

#[derive(Debug, Clone)]
pub struct Data {
    pub products: Vec<Product>,
    pub customers: Vec<Customer>,
    pub orders: Vec<Order>,
    pub promotions: Vec<Promotion>,
    pub gift_certificates: Vec<crate::gift_certificates::GiftCertificate>,
    /// Stock per (location, variant); a variant never adjusted has the starting stock.
    pub stock: std::collections::BTreeMap<(u64, u64), i64>,
    /// Store-credit changes the test controls scheduled around the next customer write.
    pub pending_credit: Vec<crate::store_credit::PendingCredit>,
    next_id: u64,
}

impl Data {
    fn from_seed(seed: &Seed) -> Self {
        Self {
            products: seed.products.clone(),
            customers: seed.customers.clone(),
            orders: seed.orders.clone(),
            promotions: Vec::new(),
            gift_certificates: Vec::new(),
            stock: seed_stock(&seed.products),
            pending_credit: Vec::new(),
            next_id: 90_000,
        }
    }

    /// Stock of a variant at the default location.
    pub fn stock_of(&self, variant_id: u64) -> i64 {
        self.stock
            .get(&(crate::inventory::DEFAULT_LOCATION, variant_id))
            .copied()
            .unwrap_or(crate::inventory::STARTING_STOCK)
    }

    /// Ids for things the API creates (refunds, payments, promotions, codes).
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The order, or the family's 404.
    pub fn order(&self, id: u64, family: Family) -> Result<&Order, ApiError> {
        self.orders
            .iter()
            .find(|o| o.id == id)
            .ok_or_else(|| ApiError::not_found(family))
    }

    /// What the views need to render links and product names.
    pub fn ctx<'a>(&'a self, api_root: &'a str) -> Ctx<'a> {
        Ctx {
            api_root,
            products: &self.products,
        }
    }

    pub fn order_mut(&mut self, id: u64) -> Option<&mut Order> {
        self.orders.iter_mut().find(|o| o.id == id)
    }
}

/// The seed's stock levels at the default location; the rest start at `STARTING_STOCK`.
fn seed_stock(products: &[Product]) -> std::collections::BTreeMap<(u64, u64), i64> {
    let loc = crate::inventory::DEFAULT_LOCATION;
    let mut stock = std::collections::BTreeMap::new();
    for p in products {
        if let Some(level) = p.inventory_level {
            stock.insert((loc, p.base_variant()), level);
        }
        for v in &p.variants {
            if let Some(level) = v.inventory_level {
                stock.insert((loc, v.id), level);
            }
        }
    }
    stock
}

/// A promotion as created through the API: the body it was created with, plus its codes.
#[derive(Debug, Clone)]
pub struct Promotion {
    pub id: u64,
    pub body: Value,
    pub codes: Vec<PromotionCode>,
}

#[derive(Debug, Clone)]
pub struct PromotionCode {
    pub id: u64,
    pub code: String,
    pub max_uses: u64,
    pub max_uses_per_customer: u64,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// A fault the test controls inject into matching requests.
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
pub struct Fault {
    /// `"GET /v2/orders/{id}/shipments"`, `"/v2/orders/{id}/shipments"` (any method) or `"*"`.
    pub route: String,
    /// Answer this status (with the route's error shape) instead of serving.
    #[serde(default)]
    pub status: Option<u16>,
    /// Add this much latency before answering.
    #[serde(default)]
    pub latency_ms: u64,
    /// Answer 200 with a truncated, unparseable body.
    #[serde(default)]
    pub malformed: bool,
    /// Serve the request first (its changes stick), then answer the fault: a write that
    /// happened although the client saw an error.
    #[serde(default)]
    pub after: bool,
    /// Serve to the end even if the client hangs up: with `latency_ms`, a write BigCommerce
    /// commits after the client gave up waiting (a timeout that still moved money).
    #[serde(default)]
    pub detached: bool,
    /// Serve first (the change sticks), then wait this long before answering: a write whose
    /// answer comes late or, past the client's timeout, never.
    #[serde(default)]
    pub answer_after_ms: u64,
    /// Only for the next N matching requests; forever when absent.
    #[serde(default)]
    pub times: Option<u32>,
    /// With a 3xx `status`: the `Location` to send the client to (a redirect to another host).
    #[serde(default)]
    pub location: Option<String>,
    /// Only requests whose raw query contains this (`"min_date_modified="`): one read of a
    /// route among others.
    #[serde(default)]
    pub query_contains: Option<String>,
}

impl Fault {
    fn matches(&self, method: &str, route: &str, query: &str) -> bool {
        if !self
            .query_contains
            .as_ref()
            .is_none_or(|q| query.contains(q.as_str()))
        {
            return false;
        }
        if self.route == "*" {
            return true;
        }
        match self.route.split_once(' ') {
            Some((m, r)) => m.eq_ignore_ascii_case(method) && r == route,
            None => self.route == route,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    /// The route template, e.g. `/v2/orders/{id}`.
    pub route: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    /// An injected fault shaped this answer (or its timing), so tests can check their premise.
    pub faulted: bool,
    /// When the request arrived, in milliseconds since the sandbox started.
    pub at_ms: u64,
    /// When the store finished with it (served, or refused), on the same clock: for a detached
    /// write, when its change actually landed, whoever was still listening.
    pub done_ms: u64,
    /// The latency injected by faults (and the `latency_ms` setting), summed over every fault
    /// that matched: `done_ms - at_ms` beyond it is the store's own lag.
    pub latency_ms: u64,
    /// The rate-limit window that counted it (1 for the first; each refill starts the next), or
    /// none when it was refused before the rate limit (wrong store, bad token): a bench counts
    /// per window exactly as the store did.
    pub window: Option<u64>,
    /// The caller's `User-Agent`: apps sharing the store's quota tell themselves apart by it.
    pub user_agent: String,
}

/// What the request pipeline should do with one request.
#[derive(Debug, Default)]
pub struct FaultPlan {
    pub latency: Duration,
    pub status: Option<u16>,
    pub malformed: bool,
    pub after: bool,
    pub detached: bool,
    pub answer_after: Duration,
    pub location: Option<String>,
    /// Some fault matched.
    pub faulted: bool,
}

#[derive(Debug)]
pub struct RateWindow {
    pub quota: u32,
    pub window: Duration,
    started: Instant,
    used: u32,
    /// Which window this is, counted from 1 since the sandbox started.
    number: u64,
}

/// The rate-limit headers of one answer.
#[derive(Debug, Clone, Copy)]
pub struct RateInfo {
    pub allowed: bool,
    pub left: u32,
    pub quota: u32,
    pub window_ms: u64,
    pub reset_ms: u64,
    /// The window's number (`LoggedRequest::window`).
    pub window: u64,
}

impl RateWindow {
    fn new(quota: u32, window: Duration, number: u64) -> Self {
        Self {
            quota,
            window,
            started: Instant::now(),
            used: 0,
            number,
        }
    }

    fn take(&mut self) -> RateInfo {
        let now = Instant::now();
        if now.duration_since(self.started) >= self.window {
            self.started = now;
            self.used = 0;
            self.number += 1;
        }
        let allowed = self.used < self.quota;
        if allowed {
            self.used += 1;
        }
        let elapsed = now.duration_since(self.started);
        RateInfo {
            allowed,
            left: self.quota - self.used,
            quota: self.quota,
            window_ms: self.window.as_millis() as u64,
            reset_ms: self.window.saturating_sub(elapsed).as_millis() as u64,
            window: self.number,
        }
    }
}

#[derive(Debug)]
struct Controls {
    faults: Vec<Fault>,
    latency: Duration,
    log: Vec<LoggedRequest>,
    rate: RateWindow,
    /// Per `METHOD /route`: requests being served now, and the most at once since the log was cleared.
    in_flight: std::collections::BTreeMap<String, (u32, u32)>,
    /// The access token now accepted, once rotated (the seed's until then).
    token: Option<String>,
}

/// Settings that the CLI and the control routes can change.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub latency: Duration,
    pub quota: u32,
    pub window: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            quota: 150,
            window: Duration::from_secs(30),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking handler must not wedge the sandbox: take the data as it is.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    pub fn new(seed: Seed, settings: Settings) -> Self {
        Self {
            store: seed.store.clone(),
            data: Mutex::new(Data::from_seed(&seed)),
            controls: Mutex::new(Controls {
                faults: Vec::new(),
                latency: settings.latency,
                log: Vec::new(),
                rate: RateWindow::new(settings.quota, settings.window, 1),
                in_flight: Default::default(),
                token: None,
            }),
            seed,
            started: Instant::now(),
        }
    }

    /// Milliseconds since the sandbox started (`LoggedRequest::at_ms`).
    pub fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    pub fn data(&self) -> MutexGuard<'_, Data> {
        lock(&self.data)
    }

    /// Back to the seed: data, faults, log and rate window (settings are kept).
    pub fn reset(&self) {
        *lock(&self.data) = Data::from_seed(&self.seed);
        let mut c = lock(&self.controls);
        c.faults.clear();
        c.log.clear();
        c.in_flight.clear();
        c.token = None;
        c.rate = RateWindow::new(c.rate.quota, c.rate.window, c.rate.number + 1);
    }

    pub fn take_rate(&self) -> RateInfo {
        lock(&self.controls).rate.take()
    }

    pub fn set_rate_limit(&self, quota: u32, window: Duration) {
        let mut c = lock(&self.controls);
        c.rate = RateWindow::new(quota, window, c.rate.number + 1);
    }

    /// The access token the store accepts now.
    pub fn token(&self) -> String {
        lock(&self.controls)
            .token
            .clone()
            .unwrap_or_else(|| self.store.token.clone())
    }

    /// Rotates the access token: the old one is refused from now on.
    pub fn set_token(&self, token: &str) {
        lock(&self.controls).token = Some(token.to_string());
    }

    pub fn set_latency(&self, latency: Duration) {
        lock(&self.controls).latency = latency;
    }

    pub fn add_fault(&self, fault: Fault) {
        lock(&self.controls).faults.push(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.controls).faults.clear();
    }

    pub fn faults(&self) -> Vec<Fault> {
        lock(&self.controls).faults.clone()
    }

    /// Consumes one use of every matching fault and says what to do.
    pub fn plan(&self, method: &str, route: &str, query: &str) -> FaultPlan {
        let mut c = lock(&self.controls);
        let mut plan = FaultPlan {
            latency: c.latency,
            ..FaultPlan::default()
        };
        for f in c
            .faults
            .iter_mut()
            .filter(|f| f.matches(method, route, query))
        {
            plan.latency += Duration::from_millis(f.latency_ms);
            plan.status = plan.status.or(f.status);
            plan.malformed |= f.malformed;
            plan.after |= f.after;
            plan.detached |= f.detached;
            plan.answer_after += Duration::from_millis(f.answer_after_ms);
            plan.location = plan.location.take().or_else(|| f.location.clone());
            plan.faulted = true;
            if let Some(n) = f.times.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        c.faults.retain(|f| f.times != Some(0));
        // BigCommerce's 429 comes from its rate limiter, before anything is processed: a 429
        // drawn together with an `after` fault must not be a served request (a client rightly
        // resends a 429'd write).
        if plan.status == Some(429) {
            plan.after = false;
            plan.detached = false;
        }
        plan
    }

    pub fn log(&self, entry: LoggedRequest) {
        lock(&self.controls).log.push(entry);
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.controls).log.clone()
    }

    pub fn clear_requests(&self) {
        let mut c = lock(&self.controls);
        c.log.clear();
        c.in_flight.retain(|_, (now, most)| {
            *most = *now;
            *now > 0
        });
    }

    /// A request on `route` starts being served; the guard marks its end, even if dropped.
    pub fn serving(self: &std::sync::Arc<Self>, route: &str) -> Serving {
        let mut c = lock(&self.controls);
        let e = c.in_flight.entry(route.to_string()).or_default();
        e.0 += 1;
        e.1 = e.1.max(e.0);
        Serving {
            state: self.clone(),
            route: route.to_string(),
        }
    }

    /// The most requests served at once per route: two refunds of one order must never overlap.
    pub fn max_concurrent(&self) -> std::collections::BTreeMap<String, u32> {
        lock(&self.controls)
            .in_flight
            .iter()
            .map(|(r, (_, most))| (r.clone(), *most))
            .collect()
    }
}

pub struct Serving {
    state: std::sync::Arc<AppState>,
    route: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(e) = lock(&self.state.controls).in_flight.get_mut(&self.route) {
            e.0 = e.0.saturating_sub(1);
        }
    }
}
