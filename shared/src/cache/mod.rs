//! The cache every container shares, so that a store's API quota is spent once per fact, not
//! once per container: BigCommerce's answers as they came, kept in a DynamoDB table under keys
//! that begin with the store hash (nothing crosses stores, and a changed hash finds nothing).
//!
//! A lookup reads everything it may need in one round trip before its first BigCommerce call
//! (`Session::open`) and writes what it learnt in one round trip at its end (`Session::close`).
//! How long a part stays fresh is decided here: customers, search results and order lists a
//! minute; shipments of orders whose every item shipped a day (they no longer change); product
//! images a day; the store's settings an hour. Past that a part is kept an hour more, shown only
//! when the store's quota leaves no other way, and then the card says how old it is. An action
//! that changes an order marks the store changed: nothing fetched before it is served again.

pub mod directory;
pub mod guests;
pub mod table;

use crate::bigcommerce::OrderQuery;
use crate::ids::ShopperId;
use crate::mapping::email::normal_email;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
pub use table::{CacheError, Entry, MemoryTable, Put, Table};

pub const LIST_MAX_AGE: Duration = Duration::from_secs(60);
pub const SETTLED_SHIPMENTS_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
pub const IMAGES_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
pub const STORE_MAX_AGE: Duration = Duration::from_secs(3600);
/// How long past its freshness a part is kept, for when the quota leaves no other way.
pub const KEPT_STALE: Duration = Duration::from_secs(3600);

/// The parts of the store's settings (`GET /v2/store`, `/v3/channels`, `/v3/sites`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorePart {
    Info,
    Channels,
    Sites,
    /// `GET /v2/customer_groups`: read only by DETAILED lookups.
    CustomerGroups,
}

impl StorePart {
    fn name(self) -> &'static str {
        match self {
            StorePart::Info => "info",
            StorePart::Channels => "channels",
            StorePart::Sites => "sites",
            StorePart::CustomerGroups => "groups",
        }
    }
}

/// What a lookup is about to ask, so the one read before it fetches what it will need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefetch {
    /// An auto-link or search by these emails (lower-cased).
    Emails(Vec<String>),
    /// A profile with its orders (`order_limit`), or a shopper's orders alone.
    Shopper(ShopperId, u32),
    /// Nothing of a shopper's: the store's settings only.
    StoreOnly,
}

/// A part looked up: fresh, too old to be shown as fresh (with when it was fetched), or absent.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    Fresh(Value),
    Stale(Value, i64),
    Missing,
}

/// A part that can be shown older than fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StalePart {
    /// A shopper's order list: every card of it.
    Orders,
    /// One order's shipments: its card.
    Shipments(u64),
    /// The store's settings: no card says it.
    StoreSettings,
}

/// A part shown older than fresh, for the card's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleNote {
    pub part: StalePart,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Timed {
    v: Value,
    at: i64,
}

/// Answers kept by id in one item, each with when it was fetched: a shopper's shipments by
/// order (known only once their orders are), or the store's products (every card shows the same).
type Kept = BTreeMap<u64, Timed>;

/// The most products kept in the store's one item (DynamoDB items are at most 400 KB): each
/// kept as its id and thumbnail only, some 200 to 300 bytes.
const MAX_PRODUCTS: usize = 1_000;

/// The first `bytes` of `text`'s SHA-256, in hex: how shoppers' emails appear in keys and items.
fn hash_prefix(text: &str, bytes: usize) -> String {
    let d = Sha256::digest(text.as_bytes());
    hex::encode(&d[..bytes.min(d.len())])
}

fn hash(text: &str) -> String {
    hash_prefix(text, 16)
}

/// The keys, all under the store hash. Shoppers' emails appear only hashed.
pub mod keys {
    use super::*;

    pub fn customer(store: &str, id: u64) -> String {
        format!("{store}#customer#{id}")
    }
    pub fn emails(store: &str, emails: &[String]) -> String {
        let mut e: Vec<String> = emails.iter().map(|e| normal_email(e)).collect();
        e.sort();
        e.dedup();
        format!("{store}#emails#{}", hash(&e.join(",")))
    }
    fn shopper(s: &ShopperId) -> String {
        match s {
            ShopperId::Registered(c) => format!("c{}", c.0),
            ShopperId::Guest(e) => format!("g{}", hash(&normal_email(e))),
        }
    }
    pub fn orders(store: &str, s: &ShopperId, limit: u32) -> String {
        format!("{store}#orders#{}#{limit}", shopper(s))
    }
    /// A registered customer's guest orders, under their id (their email is known only once
    /// their record is, after the one read); the item says which email it was for.
    pub fn guest_orders(store: &str, customer: u64, limit: u32) -> String {
        format!("{store}#guestorders#c{customer}#{limit}")
    }
    pub fn shipments(store: &str, s: &ShopperId) -> String {
        format!("{store}#shipments#{}", shopper(s))
    }
    pub fn products(store: &str) -> String {
        format!("{store}#products")
    }
    /// When the store's best sellers were last read into `products`.
    pub fn best_sellers(store: &str) -> String {
        format!("{store}#bestsellers")
    }
    pub fn store_part(store: &str, p: StorePart) -> String {
        format!("{store}#store#{}", p.name())
    }
    pub fn changed(store: &str) -> String {
        format!("{store}#changed")
    }
    /// Which emails have guest orders (`guests::GuestIndex`).
    pub fn guest_index(store: &str) -> String {
        format!("{store}#guestindex")
    }
    /// The state of the store's customer directory (`directory::Directory`); its entries are
    /// kept under `emails` of one email.
    pub fn directory(store: &str) -> String {
        format!("{store}#directory")
    }
    /// Until when the directory is kept (its state's `busy_until_ms`, in an item of its own).
    pub fn directory_busy(store: &str) -> String {
        format!("{store}#directorybusy")
    }
    /// When an action last changed a customer (store credit): the directory's older entries
    /// are not served.
    pub fn customers_changed(store: &str) -> String {
        format!("{store}#customerschanged")
    }
    pub fn spend(store: &str, window: i64) -> String {
        format!("{store}#spend#{window}")
    }
}

/// Where the answer to an order query is kept, when it is one the cache keeps (a first page with
/// line items): a customer's orders, a guest's, or (in a registered customer's session) the
/// guest orders placed with their email, with that email's hash, which the item must match.
fn orders_key(store: &str, owner: Option<u64>, q: &OrderQuery) -> Option<(String, Option<String>)> {
    if !q.with_line_items || q.page > 1 {
        return None;
    }
    match (q.customer_id, &q.email) {
        (Some(id), None) if id > 0 => Some((
            keys::orders(
                store,
                &ShopperId::Registered(crate::ids::CustomerId(id)),
                q.limit,
            ),
            None,
        )),
        (Some(0) | None, Some(e)) => {
            let e = normal_email(e);
            Some(match owner {
                Some(c) => (keys::guest_orders(store, c, q.limit), Some(hash(&e))),
                None => (keys::orders(store, &ShopperId::Guest(e), q.limit), None),
            })
        }
        _ => None,
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// One request's view of the cache: what the read before it found, what it learns, written at
/// its end.
#[derive(Debug)]
pub struct Session {
    table: Table,
    store: String,
    started_ms: i64,
    got: HashMap<String, Entry>,
    /// When an action last changed the store: nothing fetched before counts.
    changed_at: i64,
    /// The shopper's shipments item, when the request is about a shopper.
    shipments_key: Option<String>,
    /// The registered customer the request is about: their guest orders are kept under their id.
    owner: Option<u64>,
    spend_at_start: Option<(i64, u32)>,
    /// The adaptor's calls in the window before, when the shared count has them.
    spend_before: Option<u32>,
    inner: Mutex<Inner>,
    /// The store's guest index as read, and what this request did to it.
    guests: Mutex<Guests>,
    /// The store's customer directory as read, and what this request did to it.
    directory: Mutex<Dir>,
    /// When the store's best sellers were last read (`keys::best_sellers`); `None` once this
    /// request took the read, or when the table could not be read (a page read then would be
    /// read by every lookup).
    best_sellers_at: Mutex<Option<i64>>,
}

#[derive(Debug, Default)]
struct Dir {
    state: directory::Directory,
    mode: directory::Mode,
    /// When an action last changed a customer.
    customers_changed_at: i64,
    /// The lookup's one read of the table answered.
    readable: bool,
    read_taken: bool,
    /// A read was taken: the state is written back.
    dirty: bool,
    /// The share was seen tight: the busy item is written.
    busy_dirty: bool,
    /// Entries this request read, by email: served at once.
    read: BTreeMap<String, Vec<Value>>,
}

#[derive(Debug, Default)]
struct Guests {
    index: guests::GuestIndex,
    /// This request has taken the read that was due (one per request).
    read_taken: bool,
    dirty: bool,
}

#[derive(Debug, Default)]
struct Inner {
    puts: BTreeMap<String, Put>,
    /// The customer directory's entries a read filed: up to a page's 250, written beside the
    /// rest with a budget of their own (`directory::WRITE_BUDGET`).
    listings: BTreeMap<String, Put>,
    shipments: Kept,
    products: Kept,
    shipments_dirty: bool,
    products_dirty: bool,
    stale: Vec<StaleNote>,
    /// Orders whose every item shipped: their shipments no longer change.
    settled: HashSet<u64>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    /// Reads what `what` will need, and the adaptor's count for `window` (its id and length in
    /// seconds) and the window before it, in one round trip bounded by `table::READ_BUDGET`; a
    /// slow or failing table is an empty cache.
    pub async fn open(
        table: Table,
        store: &str,
        what: &Prefetch,
        window: Option<(i64, i64)>,
        now_ms: i64,
    ) -> Session {
        let mut wanted = vec![
            keys::changed(store),
            keys::products(store),
            keys::best_sellers(store),
            keys::store_part(store, StorePart::Info),
            keys::store_part(store, StorePart::Channels),
            keys::store_part(store, StorePart::Sites),
            keys::store_part(store, StorePart::CustomerGroups),
        ];
        let (mut shipments_key, mut owner) = (None, None);
        if !matches!(what, Prefetch::StoreOnly) {
            wanted.push(keys::guest_index(store));
        }
        match what {
            Prefetch::Emails(e) if !e.is_empty() => {
                wanted.push(keys::emails(store, e));
                wanted.push(keys::directory(store));
                wanted.push(keys::directory_busy(store));
                wanted.push(keys::customers_changed(store));
            }
            Prefetch::Shopper(s, limit) => {
                if let ShopperId::Registered(c) = s {
                    wanted.push(keys::customer(store, c.0));
                    wanted.push(keys::guest_orders(store, c.0, *limit));
                    owner = Some(c.0);
                }
                wanted.push(keys::orders(store, s, *limit));
                let k = keys::shipments(store, s);
                wanted.push(k.clone());
                shipments_key = Some(k);
            }
            _ => {}
        }
        // Containers name a window by the second it ends, as each saw it: a little apart, so a
        // window's count is kept under the seconds around it. A window of 2 s or less would
        // overlap its predecessor's keys: its count before is not read.
        let spend_keys = |w: i64| (w - 1..=w + 1).map(|id| keys::spend(store, id));
        let before = window
            .filter(|(_, length)| *length > 2)
            .map(|(w, length)| w.saturating_sub(length));
        for w in window.map(|(w, _)| w).into_iter().chain(before) {
            wanted.extend(spend_keys(w));
        }
        let (got, readable) =
            match tokio::time::timeout(table::READ_BUDGET, table.get_many(&wanted)).await {
                Ok(Ok(found)) => (found, true),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cache unreadable; asking BigCommerce");
                    (HashMap::new(), false)
                }
                Err(_) => {
                    tracing::warn!("cache did not answer in time; asking BigCommerce");
                    (HashMap::new(), false)
                }
            };
        let changed_at = got.get(&keys::changed(store)).map_or(0, |e| e.at_ms);
        let count = |w: i64| {
            let found: Vec<u32> = spend_keys(w)
                .filter_map(|k| got.get(&k))
                .filter_map(|e| e.value.trim().parse::<u32>().ok())
                .collect();
            (!found.is_empty()).then(|| found.iter().fold(0u32, |a, n| a.saturating_add(*n)))
        };
        let spend_at_start = window.map(|(w, _)| (w, count(w).unwrap_or(0)));
        let spend_before = before.and_then(count);
        let kept = |key: Option<&String>| {
            key.and_then(|k| got.get(k))
                .and_then(|e| serde_json::from_str::<Kept>(&e.value).ok())
                .unwrap_or_default()
        };
        // An index that does not parse is a new one, written over when it is next read.
        let index = got
            .get(&keys::guest_index(store))
            .and_then(|e| guests::GuestIndex::parse(&e.value))
            .unwrap_or_default();
        let (shipments, products) = (
            kept(shipments_key.as_ref()),
            kept(Some(&keys::products(store))),
        );
        let dir = Dir {
            state: got
                .get(&keys::directory(store))
                .and_then(|e| directory::Directory::parse(&e.value))
                .unwrap_or_default()
                .with_busy_until(got.get(&keys::directory_busy(store)).map_or(0, |e| e.at_ms)),
            customers_changed_at: got
                .get(&keys::customers_changed(store))
                .map_or(0, |e| e.at_ms),
            // A table that could not be read would not keep what a read files either: no
            // page is read (it would be read again by every lookup).
            readable,
            ..Dir::default()
        };
        let best_sellers_at =
            readable.then(|| got.get(&keys::best_sellers(store)).map_or(0, |e| e.at_ms));
        Session {
            table,
            store: store.to_string(),
            started_ms: now_ms,
            got,
            changed_at,
            shipments_key,
            owner,
            spend_at_start,
            spend_before,
            inner: Mutex::new(Inner {
                shipments,
                products,
                ..Inner::default()
            }),
            guests: Mutex::new(Guests {
                index,
                ..Guests::default()
            }),
            directory: Mutex::new(dir),
            best_sellers_at: Mutex::new(best_sellers_at),
        }
    }

    /// What the secret says of the customer directory, and whether the adaptor's share is
    /// tight now (`quota::Spend::busy`): a tight share keeps the directory for ten minutes more.
    pub fn directory_mode(&self, mode: directory::Mode, busy: bool) {
        let mut d = lock(&self.directory);
        d.mode = mode;
        let keep = match mode {
            directory::Mode::Off => false,
            directory::Mode::On => true,
            directory::Mode::Auto => busy,
        };
        if keep && d.state.mark_busy(self.started_ms) {
            d.busy_dirty = true;
        }
    }

    /// The directory's read that is due, once per request: the caller makes it and hands the
    /// page to `apply_directory_read`.
    pub fn take_directory_read(&self) -> Option<directory::Read> {
        let mut d = lock(&self.directory);
        if d.read_taken || d.mode == directory::Mode::Off || !d.readable {
            return None;
        }
        let read = d.state.due(self.started_ms, d.customers_changed_at)?;
        d.read_taken = true;
        Some(read)
    }

    /// A page of the read `take_directory_read` gave (v3 customers), as fetched at this
    /// request's start: its customers are written under their emails and served at once.
    /// An email may have an account on each storefront, on pages apart: each email's kept
    /// entry is read first (one more round trip, on this request only, strongly consistent)
    /// and the page's customers are added to it. When it cannot be read the page files nobody
    /// and the directory does not count it read: a page skipped would leave an account out of
    /// an email's entry, which the pass's end would then vouch for.
    pub async fn apply_directory_read(
        &self,
        read: directory::Read,
        customers: &[Value],
        total: Option<u64>,
    ) -> directory::Applied {
        let (applied, next, listings) = {
            let d = lock(&self.directory);
            let mut next = d.state.clone();
            let applied = next.apply(read, customers, total, self.started_ms);
            let listings = next.listings(read, customers);
            (applied, next, listings)
        };
        let commit = |next: directory::Directory| {
            let mut d = lock(&self.directory);
            d.state = next;
            d.dirty = true;
        };
        if matches!(
            applied,
            directory::Applied::OffBusy | directory::Applied::OffTooMany
        ) {
            commit(next);
            return applied;
        }
        let key_of = |email: &String| keys::emails(&self.store, std::slice::from_ref(email));
        let wanted: Vec<String> = listings.keys().map(key_of).collect();
        let reads = wanted.chunks(100).map(|k| self.table.get_exact(k));
        let kept = match tokio::time::timeout(
            directory::READ_BUDGET,
            futures::future::join_all(reads),
        )
        .await
        {
            Ok(all) => match all.into_iter().collect::<Result<Vec<_>, _>>() {
                Ok(maps) => maps
                    .into_iter()
                    .flatten()
                    .collect::<HashMap<String, Entry>>(),
                Err(e) => {
                    tracing::info!(error = %e, "customer directory entries unreadable: the page files nobody and is read again");
                    return directory::Applied::Unfiled;
                }
            },
            Err(_) => {
                tracing::info!(
                    "customer directory entries not read in time: the page files nobody and is read again"
                );
                return directory::Applied::Unfiled;
            }
        };
        let mut written = Vec::new();
        for (email, listing) in listings {
            let key = key_of(&email);
            let old = kept
                .get(&key)
                .and_then(|e| directory::Listing::parse(&e.value));
            let filed = directory::filed(read, old, listing);
            if filed.write {
                if let Some(put) = self.listing_put(key.clone(), &filed.listing) {
                    lock(&self.inner).listings.insert(key, put);
                }
            }
            written.push((email, filed.listing.customers));
        }
        commit(next);
        lock(&self.directory).read.extend(written);
        applied
    }

    /// A directory item (an entry or the state) fetched at this request's start, kept as long
    /// as the entries are.
    fn listing_put(&self, key: String, v: &impl Serialize) -> Option<Put> {
        put_until(
            key,
            v,
            self.started_ms,
            self.started_ms + directory::ENTRY_KEEP_MS,
        )
    }

    /// The directory's customers for one email, when it may serve them: read by this request,
    /// or kept and vouched for by the directory. The customers are kept by id as of when the
    /// directory last read the store's changes, for the DETAILED that follows.
    fn directory_customers(&self, email: &str) -> Option<Vec<Value>> {
        let d = lock(&self.directory);
        if d.mode == directory::Mode::Off {
            return None;
        }
        let (list, as_of) = match d.read.get(email) {
            Some(list) => (list.clone(), self.started_ms),
            None => {
                let e = self
                    .got
                    .get(&keys::emails(&self.store, &[email.to_string()]))?;
                let listing = directory::Listing::parse(&e.value)?;
                if !d
                    .state
                    .serves(&listing, e.at_ms, self.started_ms, d.customers_changed_at)
                {
                    return None;
                }
                (listing.customers, d.state.caught_up_ms().unwrap_or(e.at_ms))
            }
        };
        drop(d);
        for c in &list {
            let key = c["id"].as_u64().map(|id| keys::customer(&self.store, id));
            let until = as_of + secs(LIST_MAX_AGE + KEPT_STALE);
            if let Some(put) = key.and_then(|k| put_until(k, c, as_of, until)) {
                lock(&self.inner).puts.insert(put.key.clone(), put);
            }
        }
        Some(list)
    }

    /// Whether `email` may have guest orders, as the store's guest index tells now.
    pub fn guests_say(&self, email: &str) -> guests::Says {
        let says = lock(&self.guests)
            .index
            .says(email, self.started_ms, self.changed_at);
        // A hit when it spares the query; "perhaps" is counted by the guest-order list it asks.
        if says == guests::Says::NoGuestOrders {
            crate::telemetry::cache(true);
        }
        says
    }

    /// The guest index's read that is due, once per request: the caller makes it and hands
    /// the page to `apply_guest_read`.
    pub fn take_guest_read(&self) -> Option<guests::Read> {
        let mut g = lock(&self.guests);
        if g.read_taken {
            return None;
        }
        let read = g.index.due(self.started_ms, self.changed_at)?;
        g.read_taken = true;
        Some(read)
    }

    /// A page of the read `take_guest_read` gave, as fetched at this request's start (its
    /// rows can only be newer).
    pub fn apply_guest_read(
        &self,
        read: guests::Read,
        rows: &[guests::Row],
        full: bool,
    ) -> guests::Applied {
        let mut g = lock(&self.guests);
        g.dirty = true;
        g.index.apply(read, rows, full, self.started_ms)
    }

    /// The adaptor's calls in the window when the request began, as the shared count had them.
    pub fn spend_at_start(&self) -> Option<(i64, u32)> {
        self.spend_at_start
    }

    /// The adaptor's calls in the window before this one, as the shared count had them.
    pub fn spend_before(&self) -> Option<u32> {
        self.spend_before
    }

    fn judge(&self, v: Value, at_ms: i64, max_age: Duration) -> Found {
        if at_ms < self.changed_at {
            Found::Missing
        } else if self.started_ms.saturating_sub(at_ms) <= secs(max_age) {
            Found::Fresh(v)
        } else if self.started_ms.saturating_sub(at_ms) <= secs(max_age + KEPT_STALE) {
            Found::Stale(v, at_ms)
        } else {
            Found::Missing
        }
    }

    /// A kept answer that does not parse is a miss (and is overwritten when the call is made).
    fn entry(&self, key: &str, max_age: Duration) -> Found {
        let found = self
            .got
            .get(key)
            .and_then(|e| {
                serde_json::from_str::<Value>(&e.value)
                    .ok()
                    .map(|v| (v, e.at_ms))
            })
            .map_or(Found::Missing, |(v, at)| self.judge(v, at, max_age));
        crate::telemetry::cache(matches!(found, Found::Fresh(_)));
        found
    }

    /// The write of `v` under `key`, fetched at this request's start, kept past `max_age` for
    /// `KEPT_STALE`.
    fn put_of(&self, key: String, v: &impl Serialize, max_age: Duration) -> Option<Put> {
        put_until(
            key,
            v,
            self.started_ms,
            self.started_ms + secs(max_age + KEPT_STALE),
        )
    }

    fn keep(&self, key: String, v: &Value, max_age: Duration) {
        if let Some(put) = self.put_of(key.clone(), v, max_age) {
            lock(&self.inner).puts.insert(key, put);
        }
    }

    fn stamp(&self, v: &Value) -> Timed {
        Timed {
            v: v.clone(),
            at: self.started_ms,
        }
    }

    /// Customers by id (each kept as BigCommerce's v3 element): all fresh, or `None`.
    pub fn customers(&self, ids: &[u64]) -> Option<Vec<Value>> {
        let mut out = Vec::new();
        for id in ids {
            match self.entry(&keys::customer(&self.store, *id), LIST_MAX_AGE) {
                Found::Fresh(v) if v.is_object() => out.push(v),
                _ => return None,
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// The customers an email search found (BigCommerce's `data` list), or for one email the
    /// store's customer directory has.
    pub fn customers_by_email(&self, emails: &[String]) -> Option<Vec<Value>> {
        if let [email] = emails {
            if let Some(list) = self.directory_customers(&normal_email(email)) {
                crate::telemetry::cache(true);
                return Some(list);
            }
        }
        match self.entry(&keys::emails(&self.store, emails), LIST_MAX_AGE) {
            Found::Fresh(Value::Array(list)) => Some(list),
            _ => None,
        }
    }

    /// Keeps the customers a search or id lookup found: each by id, and the search's list.
    pub fn keep_customers(&self, list: &[Value], emails: Option<&[String]>) {
        for c in list {
            if let Some(id) = c["id"].as_u64() {
                self.keep(keys::customer(&self.store, id), c, LIST_MAX_AGE);
            }
        }
        let Some(e) = emails else {
            return;
        };
        let key = keys::emails(&self.store, e);
        // One email's customers, found while the directory vouches for its entries: kept as
        // one, so it is served past the search's minute (an email without any is not: an
        // account made since would be hidden until the next pass).
        let d = lock(&self.directory);
        if e.len() == 1
            && !list.is_empty()
            && d.mode != directory::Mode::Off
            && d.state.vouches(self.started_ms)
        {
            let listing = directory::Listing {
                gen: d.state.vouching_gen(),
                customers: list.to_vec(),
            };
            drop(d);
            if let Some(put) = self.listing_put(key.clone(), &listing) {
                lock(&self.inner).puts.insert(key, put);
            }
            return;
        }
        drop(d);
        self.keep(key, &Value::Array(list.to_vec()), LIST_MAX_AGE);
    }

    /// A shopper's orders (v2's list, with line items).
    pub fn orders(&self, q: &OrderQuery) -> Found {
        let Some((key, for_email)) = orders_key(&self.store, self.owner, q) else {
            return Found::Missing;
        };
        // Kept under the account: only for the email the account has now.
        let unwrap = |v: Value| match &for_email {
            None => Some(v),
            Some(h) => (v["for"].as_str() == Some(h.as_str())).then(|| v["orders"].clone()),
        };
        let found = match self.entry(&key, LIST_MAX_AGE) {
            Found::Fresh(v) => unwrap(v).map_or(Found::Missing, Found::Fresh),
            Found::Stale(v, at) => unwrap(v).map_or(Found::Missing, |v| Found::Stale(v, at)),
            Found::Missing => Found::Missing,
        };
        if let Found::Fresh(v) | Found::Stale(v, _) = &found {
            self.note_settled(v);
        }
        found
    }

    pub fn keep_orders(&self, q: &OrderQuery, v: &Value) {
        if let Some((key, for_email)) = orders_key(&self.store, self.owner, q) {
            self.note_settled(v);
            match for_email {
                None => self.keep(key, v, LIST_MAX_AGE),
                Some(h) => self.keep(
                    key,
                    &serde_json::json!({"for": h, "orders": v}),
                    LIST_MAX_AGE,
                ),
            }
        }
    }

    fn note_settled(&self, orders: &Value) {
        let mut inner = lock(&self.inner);
        for o in orders.as_array().into_iter().flatten() {
            let shipped = o["items_shipped"].as_u64().unwrap_or(0);
            let total = o["items_total"].as_u64().unwrap_or(u64::MAX);
            let status = o["status"].as_str().unwrap_or("");
            if let Some(id) = o["id"].as_u64() {
                if shipped >= total && matches!(status, "Shipped" | "Completed") {
                    inner.settled.insert(id);
                }
            }
        }
    }

    fn shipments_max_age(&self, order: u64) -> Duration {
        if lock(&self.inner).settled.contains(&order) {
            SETTLED_SHIPMENTS_MAX_AGE
        } else {
            LIST_MAX_AGE
        }
    }

    /// An order's shipments, from the shopper's kept ones.
    pub fn shipments(&self, order: u64) -> Found {
        let max_age = self.shipments_max_age(order);
        let timed = lock(&self.inner).shipments.get(&order).cloned();
        let found = timed.map_or(Found::Missing, |t| self.judge(t.v, t.at, max_age));
        crate::telemetry::cache(matches!(found, Found::Fresh(_)));
        found
    }

    pub fn keep_shipments(&self, order: u64, v: &Value) {
        if self.shipments_key.is_none() {
            return;
        }
        let mut inner = lock(&self.inner);
        inner.shipments.insert(order, self.stamp(v));
        inner.shipments_dirty = true;
    }

    /// Catalog products by id (v3 elements): those kept fresh, and the ids still to ask for.
    /// No action changes a product's image: they are kept past the store's changes.
    pub fn products(&self, ids: &[u64]) -> (Vec<Value>, Vec<u64>) {
        let inner = lock(&self.inner);
        let (mut found, mut missing) = (Vec::new(), Vec::new());
        for id in ids {
            match inner.products.get(id) {
                Some(t) if self.started_ms.saturating_sub(t.at) <= secs(IMAGES_MAX_AGE) => {
                    found.push(t.v.clone())
                }
                _ => missing.push(*id),
            }
        }
        crate::telemetry::cache(missing.is_empty());
        (found, missing)
    }

    /// Keeps what a card shows of each product, its thumbnail: a whole product (its
    /// description is HTML of a few KB) would fill the store's one item with 150 of them, and
    /// an item past DynamoDB's limit is not written at all.
    pub fn keep_products(&self, list: &[Value]) {
        let mut inner = lock(&self.inner);
        for p in list {
            if let Some(id) = p["id"].as_u64() {
                let thumbnail = p["primary_image"]["url_thumbnail"].clone();
                let kept = serde_json::json!({
                    "id": id,
                    "primary_image": { "url_thumbnail": thumbnail },
                });
                inner.products.insert(id, self.stamp(&kept));
                inner.products_dirty = true;
            }
        }
    }

    /// Whether this request reads the store's best sellers (a page of 250 with their images)
    /// before asking the catalog for the products it misses: once a day per store, so that
    /// the products most orders hold cost one call, not one per card that first shows them.
    pub fn take_best_sellers_read(&self) -> bool {
        let mut at = lock(&self.best_sellers_at);
        at.take_if(|at| self.started_ms.saturating_sub(*at) > secs(IMAGES_MAX_AGE))
            .is_some()
    }

    /// The best sellers were read (and kept with `keep_products`).
    pub fn best_sellers_read(&self) {
        let key = keys::best_sellers(&self.store);
        let until = self.started_ms + secs(IMAGES_MAX_AGE);
        if let Some(put) = put_until(key, &true, self.started_ms, until) {
            lock(&self.inner).puts.insert(put.key.clone(), put);
        }
    }

    pub fn store_part(&self, p: StorePart) -> Found {
        self.entry(&keys::store_part(&self.store, p), STORE_MAX_AGE)
    }

    pub fn keep_store_part(&self, p: StorePart, v: &Value) {
        self.keep(keys::store_part(&self.store, p), v, STORE_MAX_AGE);
    }

    /// A part shown older than fresh (because the quota left no other way), for the card.
    pub fn served_stale(&self, part: StalePart, at_ms: i64) {
        lock(&self.inner).stale.push(StaleNote { part, at_ms });
    }

    pub fn stale_notes(&self) -> Vec<StaleNote> {
        lock(&self.inner).stale.clone()
    }

    /// Writes what this request learnt and adds its calls to the adaptor's shared count, in one
    /// round trip bounded by `table::WRITE_BUDGET`.
    pub async fn close(&self, spent: &[(i64, u32)]) {
        let (puts, state_after_listings) = {
            let mut inner = lock(&self.inner);
            let mut puts: Vec<Put> = std::mem::take(&mut inner.puts).into_values().collect();
            // Entries past any use are dropped so the items stay small.
            let oldest = self.started_ms - secs(SETTLED_SHIPMENTS_MAX_AGE + KEPT_STALE);
            if inner.products_dirty {
                inner.products.retain(|_, t| t.at >= oldest);
                // At most MAX_PRODUCTS, and never past what one item holds (thumbnail
                // addresses longer than most): the stalest go first.
                let size = |p: &Kept| serde_json::to_string(p).map_or(usize::MAX, |t| t.len());
                while !inner.products.is_empty()
                    && (inner.products.len() > MAX_PRODUCTS
                        || size(&inner.products) > table::MAX_VALUE_BYTES)
                {
                    let mut by_age: Vec<(i64, u64)> =
                        inner.products.iter().map(|(id, t)| (t.at, *id)).collect();
                    by_age.sort_unstable();
                    let over = inner.products.len().saturating_sub(MAX_PRODUCTS);
                    let drop = over.max(inner.products.len() / 10).max(1);
                    for (_, id) in by_age.into_iter().take(drop) {
                        inner.products.remove(&id);
                    }
                }
                puts.extend(self.put_of(
                    keys::products(&self.store),
                    &inner.products,
                    IMAGES_MAX_AGE,
                ));
            }
            if let (Some(k), true) = (&self.shipments_key, inner.shipments_dirty) {
                inner.shipments.retain(|_, t| t.at >= oldest);
                puts.extend(self.put_of(k.clone(), &inner.shipments, SETTLED_SHIPMENTS_MAX_AGE));
            }
            let g = lock(&self.guests);
            if g.dirty {
                puts.extend(self.put_of(
                    keys::guest_index(&self.store),
                    &g.index,
                    SETTLED_SHIPMENTS_MAX_AGE,
                ));
            }
            let d = lock(&self.directory);
            if d.busy_dirty {
                let until = d.state.busy_until_ms();
                let key = keys::directory_busy(&self.store);
                puts.extend(put_until(key, &until, until, until + 3_600_000));
            }
            let state = d
                .dirty
                .then(|| self.listing_put(keys::directory(&self.store), &d.state))
                .flatten();
            // The state that counts a page read is written once its entries are, never
            // before: another lookup would read the next page and file an email over entries
            // not there yet, and a page whose entries were lost would never be read again.
            if inner.listings.is_empty() {
                puts.extend(state);
                (puts, None)
            } else {
                (puts, state)
            }
        };
        let expires = self.started_ms / 1000 + 3600;
        let counted: Vec<(String, u32)> = spent
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(w, n)| (keys::spend(&self.store, *w), *n))
            .collect();
        let adds = counted.iter().map(|(k, n)| self.table.add(k, *n, expires));
        let all = async {
            let (written, added) =
                tokio::join!(self.table.put_many(puts), futures::future::join_all(adds));
            written.and(
                added
                    .into_iter()
                    .collect::<Result<Vec<()>, _>>()
                    .map(|_| ()),
            )
        };
        let listings: Vec<Put> = std::mem::take(&mut lock(&self.inner).listings)
            .into_values()
            .collect();
        let filed = async {
            if listings.is_empty() {
                return;
            }
            let both = async {
                self.table.put_many(listings).await?;
                self.table
                    .put_many(state_after_listings.into_iter().collect())
                    .await
            };
            match tokio::time::timeout(directory::WRITE_BUDGET, both).await {
                Ok(Ok(())) => {}
                // Unwritten entries are searched for as before, and their page read again.
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "customer directory entries not written; the page is read again")
                }
                Err(_) => tracing::warn!(
                    "customer directory entries not written in time; the page is read again"
                ),
            }
        };
        let (written, ()) = tokio::join!(tokio::time::timeout(table::WRITE_BUDGET, all), filed);
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cache not written"),
            Err(_) => tracing::warn!("cache write did not finish in time"),
        }
    }
}

/// The write of `v` under `key`, fetched at `at_ms`, kept by DynamoDB until `until_ms`.
fn put_until(key: String, v: &impl Serialize, at_ms: i64, until_ms: i64) -> Option<Put> {
    Some(Put {
        key,
        entry: Entry {
            value: serde_json::to_string(v).ok()?,
            at_ms,
        },
        expires_at: until_ms / 1000,
    })
}

/// Marks the store changed (an action moved money or changed an order): every part fetched
/// before now is fetched again; `customer`: the action changed a customer's record (store
/// credit), so the customer directory's older entries are not served either. Bounded by
/// `table::WRITE_BUDGET`; a failure is logged, and the parts it would have retired expire
/// within `LIST_MAX_AGE` (the directory's lapse within `directory::FRESH_MS` of its next
/// change read, which sees the customer's new modification time).
pub async fn mark_changed(table: &Table, store: &str, now_ms: i64, customer: bool) {
    let until = now_ms + secs(SETTLED_SHIPMENTS_MAX_AGE + KEPT_STALE);
    let mut puts: Vec<Put> = put_until(keys::changed(store), &now_ms, now_ms, until)
        .into_iter()
        .collect();
    if customer {
        puts.extend(put_until(
            keys::customers_changed(store),
            &now_ms,
            now_ms,
            until,
        ));
    }
    match tokio::time::timeout(table::WRITE_BUDGET, table.put_many(puts)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cache: the change was not recorded"),
        Err(_) => tracing::warn!("cache: the change was not recorded in time"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::CustomerId;
    use serde_json::json;

    fn jane() -> Value {
        json!({"id": 1, "email": "jane@example.com"})
    }

    #[tokio::test]
    async fn another_store_never_sees_what_one_store_kept() {
        let (table, memory) = Table::memory();
        let who = Prefetch::Shopper(ShopperId::Registered(CustomerId(1)), 10);
        let now = 1_000_000_000;
        let a = Session::open(table.clone(), "storeA", &who, Some((7, 30)), now).await;
        a.keep_customers(&[jane()], Some(&["jane@example.com".to_string()]));
        a.close(&[(7, 4)]).await;
        assert!(memory.keys().iter().all(|k| k.starts_with("storeA#")));
        let again = Session::open(table.clone(), "storeA", &who, Some((7, 30)), now + 1000).await;
        assert_eq!(again.customers(&[1]), Some(vec![jane()]));
        assert_eq!(again.spend_at_start(), Some((7, 4)));
        // The window before (30 s earlier) is read with it; none was counted for it.
        assert_eq!(again.spend_before(), None);
        again.close(&[(-23, 9)]).await;
        let later = Session::open(table.clone(), "storeA", &who, Some((7, 30)), now + 2000).await;
        assert_eq!(later.spend_before(), Some(9));
        // A window of 2 s would share its predecessor's keys: its count before is not read.
        let short = Session::open(table.clone(), "storeA", &who, Some((7, 2)), now + 2000).await;
        assert_eq!(short.spend_before(), None);
        // The secret now names another store: nothing of the first is found.
        let b = Session::open(table, "storeB", &who, Some((7, 30)), now + 1000).await;
        assert_eq!(b.customers(&[1]), None);
        assert_eq!(
            b.customers_by_email(&["jane@example.com".to_string()]),
            None
        );
        assert_eq!(b.spend_at_start(), Some((7, 0)));
    }

    #[tokio::test]
    async fn a_change_retires_what_was_fetched_before_it_and_age_is_told() {
        let (table, _) = Table::memory();
        let who = Prefetch::Shopper(ShopperId::Registered(CustomerId(1)), 10);
        let q = OrderQuery {
            customer_id: Some(1),
            limit: 10,
            with_line_items: true,
            ..OrderQuery::default()
        };
        let orders =
            json!([{"id": 101, "status": "Shipped", "items_shipped": 1, "items_total": 1}]);
        let t0 = 1_000_000_000;
        let s = Session::open(table.clone(), "s", &who, None, t0).await;
        s.keep_orders(&q, &orders);
        s.keep_shipments(101, &json!([{"id": 1}]));
        s.close(&[]).await;
        // 30 s later: fresh. Two minutes later: kept, but stale. Two hours later: gone.
        let fresh = Session::open(table.clone(), "s", &who, None, t0 + 30_000).await;
        assert_eq!(fresh.orders(&q), Found::Fresh(orders.clone()));
        assert!(
            matches!(fresh.shipments(101), Found::Fresh(_)),
            "settled: kept a day"
        );
        let later = Session::open(table.clone(), "s", &who, None, t0 + 120_000).await;
        assert_eq!(later.orders(&q), Found::Stale(orders.clone(), t0));
        let gone = Session::open(table.clone(), "s", &who, None, t0 + 2 * 3600 * 1000).await;
        assert_eq!(gone.orders(&q), Found::Missing);
        // An action changed the store: nothing fetched before is served, not even as stale.
        mark_changed(&table, "s", t0 + 40_000, false).await;
        let after = Session::open(table, "s", &who, None, t0 + 50_000).await;
        assert_eq!(after.orders(&q), Found::Missing);
        assert_eq!(after.shipments(101), Found::Missing);
    }

    #[tokio::test]
    async fn a_lookup_that_only_saw_the_share_tight_never_writes_back_an_older_directory() {
        let (table, memory) = Table::memory();
        let who = Prefetch::Emails(vec!["jane@example.com".into()]);
        let t = 1_779_999_960_000;
        let open = |at: i64| Session::open(table.clone(), "s", &who, None, at);
        // Two lookups open the same (empty) directory at once; the first reads the pass.
        let (reader, other) = (open(t).await, open(t).await);
        reader.directory_mode(directory::Mode::On, true);
        other.directory_mode(directory::Mode::On, true);
        let read = reader.take_directory_read();
        assert_eq!(read, Some(directory::Read::Pass { gen: t, page: 1 }));
        let jane =
            json!({"id": 1, "email": "jane@example.com", "date_modified": "2026-05-28T20:00:00Z"});
        let read = read.unwrap_or(directory::Read::Changes { since_ms: 0 });
        assert_eq!(
            reader.apply_directory_read(read, &[jane], Some(1)).await,
            directory::Applied::Complete
        );
        reader.close(&[]).await;
        // The other closes last, having only seen the share tight: the pass stays read.
        other.close(&[]).await;
        assert!(memory.raw(&keys::directory_busy("s")).is_some());
        let next = open(t + 1_000).await;
        next.directory_mode(directory::Mode::On, true);
        assert!(
            matches!(
                next.take_directory_read(),
                Some(directory::Read::Changes { .. })
            ),
            "the pass was kept; the changes are due next"
        );
    }

    /// Where a pass over two pages loses a page, in `an_email_on_two_pages_keeps_both_accounts`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Lost {
        /// The first page's entries are left unwritten (DynamoDB throttled them).
        FirstPageWrite,
        /// The kept entry the second page adds to is left unread.
        SecondPageRead,
    }

    /// Reads the directory to its end, a lookup per read, with `lost` injected once; the
    /// reads made, whether the fault fired, and the accounts the directory then serves for
    /// the email that has one on each page.
    async fn two_page_pass(lost: Lost) -> (Vec<directory::Read>, bool, Option<Vec<u64>>) {
        let (table, memory) = Table::memory();
        let shared = "shared@example.com".to_string();
        let key = keys::emails("s", std::slice::from_ref(&shared));
        let customer = |id: u64, email: &str| json!({"id": id, "email": email});
        // A full first page (one account of the shared email among 249 others), then a page
        // with its account on the other storefront.
        let mut first: Vec<Value> = (0..249)
            .map(|i| customer(1_000 + i, &format!("filler{i}@example.com")))
            .collect();
        first.push(customer(1, &shared));
        let second = vec![customer(2, &shared)];
        let who = Prefetch::Emails(vec!["someone@example.com".into()]);
        let t = 1_779_999_960_000;
        let (mut reads, mut fired) = (Vec::new(), false);
        for n in 0..8 {
            let s = Session::open(table.clone(), "s", &who, None, t + n * 1_000).await;
            s.directory_mode(directory::Mode::On, true);
            let Some(read) = s.take_directory_read() else {
                break;
            };
            reads.push(read);
            let page: &[Value] = match read {
                directory::Read::Pass { page: 1, .. } => &first,
                directory::Read::Pass { .. } => &second,
                directory::Read::Changes { .. } => &[],
            };
            let inject = !fired
                && match (lost, read) {
                    (Lost::FirstPageWrite, directory::Read::Pass { page, .. }) => page == 1,
                    (Lost::SecondPageRead, directory::Read::Pass { page, .. }) => page == 2,
                    _ => false,
                };
            if inject && lost == Lost::SecondPageRead {
                lock(&memory.throttled).push(key.clone());
            }
            let applied = s.apply_directory_read(read, page, Some(251)).await;
            if inject && lost == Lost::FirstPageWrite {
                lock(&memory.throttled).push(key.clone());
            }
            s.close(&[]).await;
            if inject {
                // The premise: the shared email's entry was asked for (or written) and throttled.
                fired = memory
                    .throttled_hits
                    .load(std::sync::atomic::Ordering::Relaxed)
                    > 0;
                lock(&memory.throttled).clear();
            }
            if applied == directory::Applied::CaughtUp {
                break;
            }
        }
        let lookup = Session::open(
            table,
            "s",
            &Prefetch::Emails(vec![shared.clone()]),
            None,
            t + 20_000,
        )
        .await;
        lookup.directory_mode(directory::Mode::On, true);
        let served = lookup.customers_by_email(&[shared]).map(|list| {
            let mut ids: Vec<u64> = list.iter().filter_map(|c| c["id"].as_u64()).collect();
            ids.sort_unstable();
            ids
        });
        (reads, fired, served)
    }

    #[tokio::test]
    async fn a_page_read_twice_never_puts_back_an_entry_the_next_page_added_to() {
        let (table, memory) = Table::memory();
        let shared = "shared@example.com".to_string();
        let key = keys::emails("s", std::slice::from_ref(&shared));
        let mut first: Vec<Value> = (0..249)
            .map(|i| json!({"id": 1_000 + i, "email": format!("filler{i}@example.com")}))
            .collect();
        first.push(json!({"id": 1, "email": shared}));
        let second = vec![json!({"id": 2, "email": shared})];
        let who = Prefetch::Emails(vec!["someone@example.com".into()]);
        let t = 1_779_999_960_000;
        let open = |at: i64| {
            let (table, who) = (table.clone(), who.clone());
            async move {
                let s = Session::open(table, "s", &who, None, at).await;
                s.directory_mode(directory::Mode::On, true);
                s
            }
        };
        // Two lookups take the first page at once; one files it and closes.
        let (a, late) = (open(t).await, open(t).await);
        let page_one = Some(directory::Read::Pass { gen: t, page: 1 });
        assert_eq!(a.take_directory_read(), page_one);
        assert_eq!(late.take_directory_read(), page_one);
        let one = directory::Read::Pass { gen: t, page: 1 };
        a.apply_directory_read(one, &first, Some(251)).await;
        a.close(&[]).await;
        // The other files the same page, then stalls; meanwhile the next page is read.
        late.apply_directory_read(one, &first, Some(251)).await;
        let b = open(t + 1_000).await;
        let two = b.take_directory_read();
        assert_eq!(two, Some(directory::Read::Pass { gen: t, page: 2 }));
        let two = two.unwrap_or(one);
        b.apply_directory_read(two, &second, Some(251)).await;
        b.close(&[]).await;
        let ids = || {
            memory
                .raw(&key)
                .and_then(|e| directory::Listing::parse(&e.value))
                .map(|l| {
                    let mut ids: Vec<u64> = l
                        .customers
                        .iter()
                        .filter_map(|c| c["id"].as_u64())
                        .collect();
                    ids.sort_unstable();
                    ids
                })
        };
        assert_eq!(
            ids(),
            Some(vec![1, 2]),
            "the premise: the second page added its account"
        );
        late.close(&[]).await;
        assert_eq!(
            ids(),
            Some(vec![1, 2]),
            "the late lookup wrote the page's entry back"
        );
    }

    #[tokio::test]
    async fn an_email_on_two_pages_keeps_both_accounts_when_the_table_loses_a_page() {
        for lost in [Lost::FirstPageWrite, Lost::SecondPageRead] {
            let (reads, fired, served) = two_page_pass(lost).await;
            assert!(fired, "{lost:?}: the fault was injected and fired");
            // The page lost is read again, and only then is the pass complete.
            let lost_page = if lost == Lost::FirstPageWrite { 1 } else { 2 };
            let times = reads
                .iter()
                .filter(|r| matches!(r, directory::Read::Pass { page, .. } if *page == lost_page))
                .count();
            assert_eq!(times, 2, "{lost:?}: page {lost_page} read twice: {reads:?}");
            assert_eq!(
                served,
                Some(vec![1, 2]),
                "{lost:?}: both storefronts' accounts, never one alone"
            );
        }
    }

    #[tokio::test]
    async fn the_kept_catalog_fits_its_item_whatever_the_products_descriptions() {
        let (table, _) = Table::memory();
        let t = 1_779_999_960_000;
        // Products as BigCommerce answers them: a description of a few KB each (HTML), and a
        // long CDN address for the image.
        let products: Vec<Value> = (1..=MAX_PRODUCTS as u64)
            .map(|id| {
                json!({
                    "id": id,
                    "name": format!("Product {id}"),
                    "description": format!("<p>{}</p>", "Soft organic cotton, cut to last. ".repeat(80)),
                    "primary_image": {
                        "id": id * 10,
                        "url_thumbnail": format!("https://cdn11.bigcommerce.com/s-abcdefgh12/products/{id}/images/{}/product-{id}-photo__12345.1712345678.220.290.jpg?c=2", id * 10),
                    },
                })
            })
            .collect();
        let s = Session::open(table.clone(), "s", &Prefetch::StoreOnly, None, t).await;
        s.keep_products(&products);
        s.close(&[]).await;
        let next = Session::open(table.clone(), "s", &Prefetch::StoreOnly, None, t + 1_000).await;
        let ids: Vec<u64> = (1..=MAX_PRODUCTS as u64).collect();
        let (found, missing) = next.products(&ids);
        // Addresses three times as long: the stalest give way, the item is still written.
        let long: Vec<Value> = (5_001..=5_000 + MAX_PRODUCTS as u64)
            .map(|id| json!({"id": id, "primary_image": {"url_thumbnail": format!("https://cdn.example.com/{}", "x".repeat(600))}}))
            .collect();
        next.keep_products(&long);
        next.close(&[]).await;
        let last = Session::open(table, "s", &Prefetch::StoreOnly, None, t + 2_000).await;
        let (kept_long, _) = last.products(
            &long
                .iter()
                .filter_map(|p| p["id"].as_u64())
                .collect::<Vec<_>>(),
        );
        assert!(
            kept_long.len() > MAX_PRODUCTS / 3 && kept_long.len() < MAX_PRODUCTS,
            "{} of the long ones kept",
            kept_long.len()
        );
        assert!(
            missing.is_empty(),
            "{} of {} products not kept",
            missing.len(),
            ids.len()
        );
        assert_eq!(
            found
                .first()
                .map(|p| p["primary_image"]["url_thumbnail"].clone()),
            products
                .first()
                .map(|p| p["primary_image"]["url_thumbnail"].clone())
        );
    }

    #[tokio::test]
    async fn the_best_sellers_are_read_once_a_day_and_never_when_the_table_is_unreadable() {
        let (table, memory) = Table::memory();
        let t = 1_779_999_960_000;
        let open = |at: i64| Session::open(table.clone(), "s", &Prefetch::StoreOnly, None, at);
        let s = open(t).await;
        assert!(s.take_best_sellers_read(), "never read: due");
        assert!(!s.take_best_sellers_read(), "once per request");
        s.best_sellers_read();
        s.close(&[]).await;
        assert!(!open(t + 3_600_000).await.take_best_sellers_read());
        assert!(open(t + 25 * 3_600_000).await.take_best_sellers_read());
        memory
            .down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(
            !open(t + 25 * 3_600_000).await.take_best_sellers_read(),
            "a page read by every lookup while the table is down"
        );
    }

    #[tokio::test]
    async fn a_table_that_fails_is_an_empty_cache() {
        let (table, memory) = Table::memory();
        memory
            .down
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let who = Prefetch::Emails(vec!["jane@example.com".into()]);
        let s = Session::open(table, "s", &who, Some((1, 30)), 0).await;
        assert_eq!(s.customers_by_email(&["jane@example.com".into()]), None);
        assert_eq!(s.spend_at_start(), Some((1, 0)));
        s.keep_customers(&[jane()], None);
        s.close(&[(1, 2)]).await;
    }
}
