//! The store's customers by email, kept while the store is busy, so that Gladly's auto-link
//! (a search by email, one call per conversation) costs no call: at one conversation a second
//! the searches alone took a third of the adaptor's share, and tracking went without.
//!
//! Built by reading every customer of the store, a page of 250 per lookup that finds it due
//! (`GET /v3/customers?page=…`, a "pass"), then kept current by reading the customers changed
//! since (`date_modified:min=…&sort=date_modified:asc`) at most every 40 s. Each email's
//! customers are one item of the shared cache under the same key as a search for that email;
//! this item, one per store, says which of them may be served:
//!
//! * only once a pass has been read to its end, and only entries written since that pass
//!   began: a customer deleted in the store is no longer served once the next pass (every
//!   30 minutes while the store is busy) has been read without it;
//! * only while the changes have been read within a minute (`FRESH_MS`): a record served is
//!   never older than a search kept for a minute would be;
//! * never an entry written before a change read rewrote one of its customers (a customer
//!   whose email changed is not served under the old one), nor before an action changed a
//!   customer (store credit).
//!
//! An email may have an account on each storefront: a page's customers are added to what the
//! pass already filed under their email, never put in its place.
//!
//! Off for stores with more than `MAX_CUSTOMERS` customers (a pass would cost too many calls
//! and writes), when the secret says `customer_directory=off`, and (unless it says `on`) while
//! the store is quiet: nothing is copied unless the share is tight. Plain data and
//! plain functions; `Session` reads and writes the item with the lookup's one read and write.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// How long after a change read came back short the entries are served.
pub const FRESH_MS: i64 = 60_000;
/// A change read is due this long after the last one came back short: before `FRESH_MS`, so
/// that a busy store's entries do not lapse while the read is under way.
pub const DUE_MS: i64 = 40_000;
/// Each change read starts this far before the newest change already read (a change the store
/// showed late, and the clocks' difference).
pub const OVERLAP_MS: i64 = 60_000;
/// A new pass begins this long after the last one began, while the store is busy.
pub const REPASS_MS: i64 = 30 * 60_000;
/// A pass begun longer ago than this no longer vouches for anything: its entries are about to
/// expire (`ENTRY_KEEP_MS`).
pub const PASS_TRUSTED_MS: i64 = 90 * 60_000;
/// Passes begun within the same minute are one pass (`pass_gen`).
pub const PASS_GEN_MS: i64 = 60_000;
/// How long the store's table keeps an entry.
pub const ENTRY_KEEP_MS: i64 = 2 * 3600 * 1000;
/// Past this many customers a pass costs more than it saves (a call and 250 writes a page,
/// every 30 minutes): the directory is off for a day.
pub const MAX_CUSTOMERS: u64 = 10_000;
pub const PAGE: u32 = 250;
/// The most a read's lookup waits for the kept entries of its page's emails (to add to them),
/// and then for its entries to be written: once per page, beside the lookup's own budgets.
pub const READ_BUDGET: std::time::Duration = std::time::Duration::from_millis(800);
pub const WRITE_BUDGET: std::time::Duration = std::time::Duration::from_millis(1000);
/// The directory is kept this long after a lookup saw the share tight.
pub const BUSY_FOR_MS: i64 = 10 * 60_000;
/// More customers changed within the entries' life than the item keeps: off for an hour.
const MAX_CHANGED: usize = 2_000;
const OFF_FOR_MS: i64 = 24 * 3600 * 1000;
const OFF_WHEN_BUSY_MS: i64 = 3600 * 1000;

/// What the secret's `customer_directory` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Kept while the adaptor's share is tight, read by nobody otherwise.
    #[default]
    Auto,
    /// Kept whenever auto-links come.
    On,
    /// Never kept or served: every auto-link searches.
    Off,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Mode::Auto),
            "on" => Some(Mode::On),
            "off" => Some(Mode::Off),
            _ => None,
        }
    }
}

/// The store's directory state, as kept in the shared cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// When the pass being read (or the last one) began: the generation its entries carry.
    gen: i64,
    /// The next page of the pass being read; `None` when no pass is under way.
    next_page: Option<u32>,
    /// When the last pass read to its end began.
    complete: Option<i64>,
    /// The newest modification a change read saw (the store's clock, ms).
    newest_ms: i64,
    /// When the last change read that came back short began (the adaptor's clock).
    caught_up_ms: Option<i64>,
    /// Customers a change read rewrote, and when: entries written before are not served.
    changed: BTreeMap<u64, i64>,
    /// Kept in an item of its own (`keys::directory_busy`): a lookup that only saw the share
    /// tight must not write back a state older than another lookup's read.
    #[serde(skip)]
    busy_until_ms: i64,
    off_until_ms: i64,
}

/// A read the directory wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Page `page` of the pass begun (or beginning) at `gen`.
    Pass { gen: i64, page: u32 },
    /// The customers modified at or after `since_ms`.
    Changes { since_ms: i64 },
}

/// What a read did, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Reading,
    Complete,
    CaughtUp,
    OffBusy,
    OffTooMany,
    /// The entries the page adds to could not be read: it files nobody, and the directory
    /// goes on as if it had not been read (the next lookup reads it again).
    Unfiled,
}

/// One email's entry: the customers the store has under it, from the pass or change read
/// begun at `gen`'s pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub gen: i64,
    pub customers: Vec<Value>,
}

impl Listing {
    /// A kept entry, if it is one the directory wrote (a search's answer is a bare list).
    pub fn parse(text: &str) -> Option<Listing> {
        let l: Listing = serde_json::from_str(text).ok()?;
        (!l.customers.is_empty() && l.customers.iter().all(|c| c["id"].as_u64().is_some()))
            .then_some(l)
    }

    fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.customers.iter().filter_map(|c| c["id"].as_u64())
    }
}

/// The generation of a pass begun at `now_ms`: the minute it began in (not before the last
/// store-credit action, which a pass must follow). Lookups that find no pass under way at once
/// (before either has written the state) begin the same pass: with a generation each, one
/// pass's entries would be vouched for by neither, or replaced by the other's next page.
pub fn pass_gen(now_ms: i64, customers_changed_ms: i64) -> i64 {
    (now_ms - now_ms.rem_euclid(PASS_GEN_MS)).max(customers_changed_ms)
}

/// A customer's email as the directory files it: BigCommerce's, normalised; `None` when it is
/// no email at all.
fn email_of(c: &Value) -> Option<String> {
    let e = crate::mapping::email::normal_email(c["email"].as_str()?);
    crate::ids::looks_like_email(&e).then_some(e)
}

/// The modification time of a v3 customer (RFC 3339), ms.
fn modified_ms(c: &Value) -> Option<i64> {
    let d = c["date_modified"].as_str()?;
    chrono::DateTime::parse_from_rfc3339(d)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// `date_modified:min` as BigCommerce documents it (`2024-05-14T09:34:00`, UTC).
pub fn since_param(since_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(since_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// A page's customers by email, as entries of generation `gen`.
fn listings(customers: &[Value], gen: i64) -> BTreeMap<String, Listing> {
    let mut out: BTreeMap<String, Listing> = BTreeMap::new();
    for c in customers.iter().filter(|c| c["id"].as_u64().is_some()) {
        if let Some(e) = email_of(c) {
            out.entry(e)
                .or_insert_with(|| Listing {
                    gen,
                    customers: Vec::new(),
                })
                .customers
                .push(c.clone());
        }
    }
    out
}

/// What a read files under one email, and whether it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Filed {
    pub listing: Listing,
    pub write: bool,
}

/// What a read files under one email, given the entry kept there: a pass adds to what it filed
/// itself (an account on another storefront, on an earlier page) and replaces an older pass's
/// entry; a change read adds to whatever is kept. A page that adds nothing to its pass's entry
/// (another lookup read it too) is not written: written late, it could put back the entry as
/// it was before the next page added an account. A change read always writes: its entries
/// must be newer than the change.
pub fn filed(read: Read, old: Option<Listing>, new: Listing) -> Filed {
    match (read, old) {
        (Read::Pass { gen, .. }, Some(old)) if old.gen == gen => {
            let listing = merged(old.clone(), new);
            Filed {
                write: listing != old,
                listing,
            }
        }
        (Read::Changes { .. }, Some(old)) => Filed {
            listing: merged(old, new),
            write: true,
        },
        _ => Filed {
            listing: new,
            write: true,
        },
    }
}

/// `new`'s customers added to what `old` filed under the same email (an account on another
/// storefront, a customer not on `new`'s page). The older generation is kept: a customer of
/// `old` is vouched for only by the pass that read them.
fn merged(old: Listing, new: Listing) -> Listing {
    let fresh: Vec<u64> = new.ids().collect();
    let mut customers: Vec<Value> = old
        .customers
        .into_iter()
        .filter(|c| c["id"].as_u64().is_some_and(|id| !fresh.contains(&id)))
        .collect();
    customers.extend(new.customers);
    Listing {
        gen: old.gen.min(new.gen),
        customers,
    }
}

impl Directory {
    /// The kept item; one that does not parse is a new directory (nothing served), written
    /// over when it is next read.
    pub fn parse(text: &str) -> Option<Directory> {
        serde_json::from_str(text).ok()
    }

    fn is_off(&self, now_ms: i64) -> bool {
        now_ms < self.off_until_ms
    }

    /// Whether the store is being kept now.
    pub fn is_busy(&self, now_ms: i64) -> bool {
        now_ms < self.busy_until_ms
    }

    /// Until when the store is kept, as its own item says.
    pub fn with_busy_until(mut self, at_ms: i64) -> Self {
        self.busy_until_ms = at_ms;
        self
    }

    pub fn busy_until_ms(&self) -> i64 {
        self.busy_until_ms
    }

    /// A lookup saw the share tight: the directory is kept for `BUSY_FOR_MS` more. `true`
    /// when the busy item must be written (not more than once a minute or so).
    pub fn mark_busy(&mut self, now_ms: i64) -> bool {
        if self.busy_until_ms >= now_ms.saturating_add(BUSY_FOR_MS - 60_000) {
            return false;
        }
        self.busy_until_ms = now_ms.saturating_add(BUSY_FOR_MS);
        true
    }

    fn trusted_pass(&self, now_ms: i64) -> Option<i64> {
        self.complete
            .filter(|begun| now_ms.saturating_sub(*begun) <= PASS_TRUSTED_MS)
    }

    fn caught_up(&self, now_ms: i64, within_ms: i64) -> bool {
        self.caught_up_ms
            .is_some_and(|at| now_ms.saturating_sub(at) < within_ms)
    }

    /// Whether entries written now would be served: a pass vouches and the changes are read.
    pub fn vouches(&self, now_ms: i64) -> bool {
        !self.is_off(now_ms)
            && self.trusted_pass(now_ms).is_some()
            && self.caught_up(now_ms, FRESH_MS + 1)
    }

    /// Whether `entry`, written at `at_ms`, may be served now, when an action last changed a
    /// customer at `customers_changed_ms`.
    pub fn serves(
        &self,
        entry: &Listing,
        at_ms: i64,
        now_ms: i64,
        customers_changed_ms: i64,
    ) -> bool {
        let Some(pass) = self.trusted_pass(now_ms) else {
            return false;
        };
        !self.is_off(now_ms)
            && self.caught_up(now_ms, FRESH_MS + 1)
            && entry.gen >= pass
            && entry.gen <= self.gen
            && at_ms >= customers_changed_ms
            && entry
                .ids()
                .all(|id| self.changed.get(&id).is_none_or(|t| at_ms >= *t))
    }

    /// The read due now, if any (only while the store is busy): the changes when the entries
    /// are about to lapse, else the pass under way or a new one when due.
    pub fn due(&self, now_ms: i64, customers_changed_ms: i64) -> Option<Read> {
        if self.is_off(now_ms) || !self.is_busy(now_ms) {
            return None;
        }
        let pass_due = self.trusted_pass(now_ms).is_none()
            || now_ms.saturating_sub(self.gen) >= REPASS_MS
            || self.gen < customers_changed_ms;
        if self.complete.is_some() && !self.caught_up(now_ms, DUE_MS) {
            return Some(Read::Changes {
                since_ms: self.newest_ms.saturating_sub(OVERLAP_MS),
            });
        }
        match self.next_page {
            Some(page) => Some(Read::Pass {
                gen: self.gen,
                page,
            }),
            None if pass_due => Some(Read::Pass {
                gen: pass_gen(now_ms, customers_changed_ms),
                page: 1,
            }),
            None => None,
        }
    }

    /// The generation entries not read by a pass carry (a change read's, a search's): the
    /// last pass read to its end, so that the next one, read without a customer deleted
    /// since, retires them too.
    pub fn vouching_gen(&self) -> i64 {
        self.complete.unwrap_or(self.gen)
    }

    /// When the last change read that came back short began: a served record is current as
    /// of then.
    pub fn caught_up_ms(&self) -> Option<i64> {
        self.caught_up_ms
    }

    /// Takes in the page `read` gave, begun at `started_ms`; `total`: the store's count of the
    /// customers it asked for, as the page says it.
    pub fn apply(
        &mut self,
        read: Read,
        customers: &[Value],
        total: Option<u64>,
        started_ms: i64,
    ) -> Applied {
        match read {
            Read::Pass { gen, page } => self.apply_pass(gen, page, customers, total, started_ms),
            Read::Changes { since_ms } => self.apply_changes(since_ms, customers, started_ms),
        }
    }

    /// The page's customers by email, as entries to write: a pass's carry its generation, a
    /// change read's `vouching_gen`.
    pub fn listings(&self, read: Read, customers: &[Value]) -> BTreeMap<String, Listing> {
        let gen = match read {
            Read::Pass { gen, .. } => gen,
            Read::Changes { .. } => self.vouching_gen(),
        };
        listings(customers, gen)
    }

    fn apply_pass(
        &mut self,
        gen: i64,
        page: u32,
        customers: &[Value],
        total: Option<u64>,
        started_ms: i64,
    ) -> Applied {
        if total.is_some_and(|t| t > MAX_CUSTOMERS) {
            *self = Directory {
                off_until_ms: started_ms.saturating_add(OFF_FOR_MS),
                ..Directory::default()
            };
            return Applied::OffTooMany;
        }
        if page == 1 {
            self.gen = gen;
            // The first pass: changes are read from its start (each read overlaps a minute).
            if self.newest_ms == 0 {
                self.newest_ms = gen;
            }
        } else if gen != self.gen {
            // Another lookup began a newer pass meanwhile: this page is of no pass.
            return Applied::Reading;
        }
        // A short page is the last; so is one past the count the store gave (a store whose
        // pages never end would otherwise be read forever).
        let pages = total.map(|t| t.div_ceil(u64::from(PAGE)).max(1));
        let last = customers.len() < PAGE as usize || pages.is_some_and(|p| u64::from(page) >= p);
        if last {
            self.next_page = None;
            self.complete = Some(gen);
            Applied::Complete
        } else {
            self.next_page = Some(page.saturating_add(1));
            Applied::Reading
        }
    }

    /// A page of the customers changed since `since_ms`; a full one may have more after it.
    fn apply_changes(&mut self, since_ms: i64, customers: &[Value], started_ms: i64) -> Applied {
        let full = customers.len() >= PAGE as usize;
        for c in customers {
            if let Some(id) = c["id"].as_u64() {
                self.changed.insert(id, started_ms);
            }
        }
        let oldest = started_ms.saturating_sub(ENTRY_KEEP_MS);
        self.changed.retain(|_, t| *t >= oldest);
        if self.changed.len() > MAX_CHANGED {
            return self.off_busy(started_ms);
        }
        // Never past this read's own start: one customer dated in the future would move every
        // later read past the changes made meanwhile.
        let newest = customers
            .iter()
            .filter_map(modified_ms)
            .max()
            .unwrap_or(self.newest_ms)
            .max(self.newest_ms)
            .min(started_ms.max(self.newest_ms));
        self.newest_ms = newest;
        if !full {
            self.caught_up_ms = Some(started_ms);
            return Applied::CaughtUp;
        }
        // A full page within one overlap: no read can page past it.
        if newest.saturating_sub(OVERLAP_MS) <= since_ms {
            return self.off_busy(started_ms);
        }
        Applied::Reading
    }

    /// A store whose customers change faster than the directory reads them: off for an hour,
    /// then it begins again.
    fn off_busy(&mut self, now_ms: i64) -> Applied {
        *self = Directory {
            off_until_ms: now_ms.saturating_add(OFF_WHEN_BUSY_MS),
            ..Directory::default()
        };
        Applied::OffBusy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: i64 = 1_779_999_960_000;

    fn customer(id: u64, email: &str, modified_ms: i64) -> Value {
        let d = chrono::DateTime::from_timestamp_millis(modified_ms).unwrap_or_default();
        json!({"id": id, "email": email, "date_modified": d.to_rfc3339()})
    }

    /// A busy directory whose one-page pass began at `t` and whose changes were read at `t`.
    fn built(t: i64, customers: &[Value]) -> Directory {
        let mut d = Directory::default();
        assert!(d.mark_busy(t));
        let read = d.due(t, 0);
        assert_eq!(read, Some(Read::Pass { gen: t, page: 1 }));
        let read = read.unwrap_or(Read::Changes { since_ms: 0 });
        assert_eq!(d.apply(read, customers, Some(1), t), Applied::Complete);
        let changes = d.due(t, 0);
        assert_eq!(
            changes,
            Some(Read::Changes {
                since_ms: t - OVERLAP_MS
            })
        );
        let changes = changes.unwrap_or(read);
        assert_eq!(d.apply(changes, &[], None, t), Applied::CaughtUp);
        d
    }

    fn listing(gen: i64, customers: &[Value]) -> Listing {
        Listing {
            gen,
            customers: customers.to_vec(),
        }
    }

    #[test]
    fn a_quiet_store_is_not_read_and_a_new_directory_serves_nothing() {
        let d = Directory::default();
        assert_eq!(d.due(T, 0), None, "not busy: no call");
        let jane = customer(1, "jane@example.com", T);
        assert!(!d.serves(&listing(T, &[jane]), T, T, 0));
    }

    #[test]
    fn once_a_pass_and_the_changes_are_read_its_entries_are_served_for_a_minute() {
        let jane = customer(1, "jane@example.com", T - 5_000);
        let d = built(T, std::slice::from_ref(&jane));
        let entry = listing(T, &[jane]);
        assert!(d.serves(&entry, T, T + 1_000, 0));
        // A change read is due after 40 s, before the entries lapse at a minute.
        assert_eq!(d.due(T + DUE_MS - 1, 0), None);
        assert!(matches!(d.due(T + DUE_MS, 0), Some(Read::Changes { .. })));
        assert!(d.serves(&entry, T, T + FRESH_MS, 0));
        assert!(
            !d.serves(&entry, T, T + FRESH_MS + 1, 0),
            "changes not read"
        );
        // An entry of an older pass, or of none the directory knows, is not served.
        assert!(!d.serves(
            &listing(T - 1, &[customer(1, "jane@example.com", T)]),
            T,
            T,
            0
        ));
        assert!(!d.serves(
            &listing(T + 1, &[customer(1, "jane@example.com", T)]),
            T,
            T,
            0
        ));
    }

    #[test]
    fn a_customer_rewritten_by_a_change_read_is_not_served_from_an_older_entry() {
        let jane = customer(1, "jane@example.com", T - 5_000);
        let mut d = built(T, std::slice::from_ref(&jane));
        let old = listing(T, std::slice::from_ref(&jane));
        // Jane changed her email at T + 10 s; the change read at T + 41 s rewrites her.
        let moved = customer(1, "jane.new@example.com", T + 10_000);
        let read = d
            .due(T + 41_000, 0)
            .unwrap_or(Read::Changes { since_ms: 0 });
        assert_eq!(
            d.apply(read, std::slice::from_ref(&moved), None, T + 41_000),
            Applied::CaughtUp
        );
        assert!(!d.serves(&old, T, T + 42_000, 0), "the old email's entry");
        let new = listing(d.vouching_gen(), &[moved]);
        assert!(d.serves(&new, T + 41_000, T + 42_000, 0));
        // The next read starts a minute before the newest change it saw.
        assert_eq!(
            d.due(T + 41_000 + DUE_MS, 0),
            Some(Read::Changes {
                since_ms: T + 10_000 - OVERLAP_MS
            })
        );
    }

    #[test]
    fn a_customer_changed_by_an_action_retires_older_entries_and_begins_a_pass() {
        let jane = customer(1, "jane@example.com", T - 5_000);
        let d = built(T, std::slice::from_ref(&jane));
        let entry = listing(T, &[jane]);
        assert!(!d.serves(&entry, T, T + 2_000, T + 1_000));
        // The new pass is of the action's time (not the minute's start, which is before it).
        assert_eq!(
            d.due(T + 2_000, T + 1_000),
            Some(Read::Pass {
                gen: T + 1_000,
                page: 1
            })
        );
    }

    #[test]
    fn lookups_that_begin_a_pass_in_the_same_minute_begin_the_same_one() {
        let mut d = Directory::default();
        assert!(d.mark_busy(T));
        let a = d.due(T + 1_000, 0);
        let b = d.due(T + 59_999, 0);
        assert_eq!(a, Some(Read::Pass { gen: T, page: 1 }));
        assert_eq!(a, b);
        assert_eq!(
            d.due(T + 60_000, 0),
            Some(Read::Pass {
                gen: T + 60_000,
                page: 1
            })
        );
    }

    #[test]
    fn a_deleted_customer_is_not_served_once_the_next_pass_is_read_without_them() {
        let (jane, marcus) = (
            customer(1, "jane@example.com", T - 5_000),
            customer(2, "marcus@example.com", T - 5_000),
        );
        let mut d = built(T, &[jane.clone(), marcus.clone()]);
        let jane_entry = listing(T, std::slice::from_ref(&jane));
        // Thirty minutes on (changes read meanwhile), a new pass is due; Jane was deleted.
        let t = T + REPASS_MS;
        let _ = d.apply(Read::Changes { since_ms: t }, &[], None, t - 1);
        assert_eq!(d.due(t, 0), None, "busy ten minutes only");
        assert!(d.mark_busy(t));
        let pass = d.due(t, 0);
        assert_eq!(pass, Some(Read::Pass { gen: t, page: 1 }));
        // Until the new pass is read, the old one vouches for her.
        assert!(d.serves(&jane_entry, T, t, 0));
        let pass = pass.unwrap_or(Read::Changes { since_ms: 0 });
        assert_eq!(
            d.apply(pass, std::slice::from_ref(&marcus), Some(1), t),
            Applied::Complete
        );
        assert!(!d.serves(&jane_entry, T, t + 1, 0), "deleted: not served");
        assert!(d.serves(&listing(t, &[marcus]), t, t + 1, 0));
    }

    #[test]
    fn a_pass_reads_page_after_page_until_a_short_one() {
        let mut d = Directory::default();
        assert!(d.mark_busy(T));
        let full: Vec<Value> = (1..=u64::from(PAGE))
            .map(|i| customer(i, &format!("c{i}@example.com"), T))
            .collect();
        let first = d.due(T, 0).unwrap_or(Read::Changes { since_ms: 0 });
        assert_eq!(d.apply(first, &full, Some(300), T), Applied::Reading);
        assert_eq!(d.due(T + 1_000, 0), Some(Read::Pass { gen: T, page: 2 }));
        // A page of a pass another lookup replaced is of no pass.
        let mut other = d.clone();
        let _ = other.apply(
            Read::Pass {
                gen: T + 5,
                page: 1,
            },
            &full,
            Some(300),
            T + 5,
        );
        assert_eq!(
            other.apply(Read::Pass { gen: T, page: 2 }, &[], Some(300), T + 6),
            Applied::Reading
        );
        assert_eq!(other.complete, None);
        // The store's count ends a pass whose pages are all full.
        assert_eq!(
            d.apply(Read::Pass { gen: T, page: 2 }, &full, Some(300), T + 1_000),
            Applied::Complete
        );
    }

    #[test]
    fn too_many_customers_or_changes_turn_it_off() {
        let mut d = Directory::default();
        assert!(d.mark_busy(T));
        let read = d.due(T, 0).unwrap_or(Read::Changes { since_ms: 0 });
        assert_eq!(
            d.apply(read, &[], Some(MAX_CUSTOMERS + 1), T),
            Applied::OffTooMany
        );
        assert_eq!(d.due(T + 1, 0), None);
        let jane = customer(1, "jane@example.com", T);
        let mut d = built(T, std::slice::from_ref(&jane));
        // A full page of changes all within one overlap cannot be paged past.
        let same: Vec<Value> = (1..=u64::from(PAGE))
            .map(|i| customer(i, &format!("c{i}@example.com"), T))
            .collect();
        let read = d
            .due(T + DUE_MS, 0)
            .unwrap_or(Read::Changes { since_ms: 0 });
        assert_eq!(d.apply(read, &same, None, T + DUE_MS), Applied::OffBusy);
        assert!(!d.serves(&listing(T, &[jane]), T, T + DUE_MS + 1, 0));
        assert_eq!(d.due(T + DUE_MS + 1, 0), None);
    }

    #[test]
    fn a_change_dated_in_the_future_never_moves_the_reads_past_now() {
        let mut d = built(T, &[]);
        let future = customer(1, "jane@example.com", T + 3_600_000);
        let read = d
            .due(T + DUE_MS, 0)
            .unwrap_or(Read::Changes { since_ms: 0 });
        let _ = d.apply(read, &[future], None, T + DUE_MS);
        assert_eq!(d.newest_ms, T + DUE_MS);
    }

    #[test]
    fn pages_are_filed_by_normalised_email_and_bad_items_are_new_directories() {
        let l = listings(
            &[
                customer(1, " Jane@Example.com ", T),
                customer(2, "jane@example.com", T),
                customer(3, "not an email", T),
                json!({"email": "noid@example.com"}),
            ],
            T,
        );
        assert_eq!(l.len(), 1);
        assert_eq!(l["jane@example.com"].customers.len(), 2);
        // Another page's account under the same email is added; the same customer replaced.
        let more = listing(
            T + 5,
            &[
                customer(2, "jane@example.com", T + 1),
                customer(9, "jane@example.com", T),
            ],
        );
        let m = merged(l["jane@example.com"].clone(), more);
        let ids: Vec<u64> = m.ids().collect();
        assert_eq!(ids, vec![1, 2, 9]);
        assert_eq!(m.gen, T, "the older pass vouches");
        assert_eq!(Directory::parse("{not json"), None);
        assert_eq!(
            Listing::parse(&json!([{"id": 1}]).to_string()),
            None,
            "a search's list"
        );
        assert_eq!(
            Listing::parse(&json!({"gen": 1, "customers": []}).to_string()),
            None
        );
        assert_eq!(Mode::parse(" ON "), Some(Mode::On));
        assert_eq!(Mode::parse("sometimes"), None);
        assert_eq!(since_param(T), "2026-05-28T20:26:00");
    }
}
