//! The store's guest checkouts, by email: one item per store saying which emails have a guest
//! order at all. A registered card asks BigCommerce for the guest orders placed with the
//! account's email, and an auto-link by an email without an account asks whether a guest used
//! it; most emails have none. While the index is fresh, "none" costs no call, and an email it
//! has is asked as before. It is kept current by reading the guest orders changed since it was
//! last read (`GET /v2/orders?customer_id=0&min_date_modified=…&sort=date_modified:asc`, a page
//! of 250 without line items), one page per lookup that finds it due, in place of that lookup's
//! own guest query; the first reads are the store's whole guest history, a page at a time.
//!
//! Emails are kept only as the first 6 bytes of their SHA-256 (12 hex digits): two emails
//! sharing a prefix only cost a query, never hide an order. Plain data and plain functions;
//! `Session` reads and writes the item with the lookup's one read and one write.

use crate::mapping::email::normal_email;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How long "no guest orders" is trusted after the read that made the index complete: the same
/// minute a kept guest-order list is shown as fresh (`LIST_MAX_AGE`). Past it the next lookup
/// that asks reads the changes since (about one call a minute on a busy store).
pub const FRESH_MS: i64 = 60_000;
/// Each read starts this far before the newest change already read, for a change the store
/// showed late (a page sorted by modification time can miss one committed a moment earlier).
pub const OVERLAP_MS: i64 = 60_000;
/// Past this many emails the item would near DynamoDB's 400 KB: the index is off for a day and
/// every lookup asks as before.
pub const MAX_EMAILS: usize = 25_000;
pub const PAGE: u32 = 250;
const OFF_FOR_MS: i64 = 24 * 3600 * 1000;
/// A busy store (a full page of guest-order changes once the history was read): the index is
/// off this long, then one read tells whether it has calmed down.
const OFF_WHEN_BUSY_MS: i64 = 3600 * 1000;
/// The first read starts here: every guest order the store has.
const BEGINNING_MS: i64 = 946_684_800_000; // 2000-01-01T00:00:00Z
const HASH_HEX: usize = 12;

/// The index as kept in the shared cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestIndex {
    /// The newest modification read (the store's clock, ms): the next read starts
    /// `OVERLAP_MS` before it.
    newest_ms: i64,
    /// When the read that came back short (nothing more to read) began, on the adaptor's clock:
    /// every guest order the store had then is in. `None` while the history is being read.
    complete_at_ms: Option<i64>,
    /// Too many to index until then; every lookup asks as before.
    off_until_ms: i64,
    /// The emails' hashes, sorted, concatenated.
    emails: String,
}

impl Default for GuestIndex {
    fn default() -> Self {
        GuestIndex {
            newest_ms: BEGINNING_MS,
            complete_at_ms: None,
            off_until_ms: 0,
            emails: String::new(),
        }
    }
}

/// What the index can tell of one email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Says {
    /// No guest order with this email, as of at most `FRESH_MS` ago.
    NoGuestOrders,
    /// Perhaps some: ask BigCommerce.
    Perhaps,
    /// The index is building, stale, off, or older than the store's last change by an action.
    CannotTell,
}

/// One read the index wants: the guest orders modified at or after `since_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub since_ms: i64,
}

/// One guest order of a read, as much of it as the index needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub email: String,
    pub modified_ms: i64,
}

/// What a read did to the index, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// More pages to read.
    Reading,
    Complete,
    /// A page of changes within one overlap: cannot page past it.
    OffBusy,
    OffTooMany,
}

fn hash(email: &str) -> String {
    super::hash_prefix(&normal_email(email), HASH_HEX / 2)
}

impl GuestIndex {
    /// The kept item; one that does not parse (or is not well formed) is a new index, and is
    /// overwritten when it is next read.
    pub fn parse(text: &str) -> Option<GuestIndex> {
        let g: GuestIndex = serde_json::from_str(text).ok()?;
        // `contains` searches by halves: an unsorted or upper-case item would answer "none".
        let well_formed = g.emails.len().is_multiple_of(HASH_HEX)
            && g.emails
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            && (1..g.len()).all(|i| g.hash_at(i - 1) < g.hash_at(i))
            && g.newest_ms >= BEGINNING_MS;
        well_formed.then_some(g)
    }

    fn hash_at(&self, i: usize) -> &str {
        self.emails
            .get(i * HASH_HEX..(i + 1) * HASH_HEX)
            .unwrap_or("")
    }

    fn is_off(&self, now_ms: i64) -> bool {
        now_ms < self.off_until_ms
    }

    fn contains(&self, h: &str) -> bool {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.hash_at(mid).cmp(h) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        false
    }

    pub fn len(&self) -> usize {
        self.emails.len() / HASH_HEX
    }

    pub fn is_empty(&self) -> bool {
        self.emails.is_empty()
    }

    /// Whether `email` may have guest orders, at `now_ms`, when an action last changed the
    /// store at `changed_at_ms` (a replacement for a guest is a new guest order).
    pub fn says(&self, email: &str, now_ms: i64, changed_at_ms: i64) -> Says {
        if !self.is_fresh(now_ms, changed_at_ms) {
            Says::CannotTell
        } else if self.contains(&hash(email)) {
            Says::Perhaps
        } else {
            Says::NoGuestOrders
        }
    }

    fn is_fresh(&self, now_ms: i64, changed_at_ms: i64) -> bool {
        self.complete_at_ms.is_some_and(|at| {
            !self.is_off(now_ms) && at >= changed_at_ms && now_ms.saturating_sub(at) <= FRESH_MS
        })
    }

    /// The read due now, if any: while the index cannot tell, unless it is off.
    pub fn due(&self, now_ms: i64, changed_at_ms: i64) -> Option<Read> {
        let due = !self.is_off(now_ms) && !self.is_fresh(now_ms, changed_at_ms);
        due.then(|| Read {
            since_ms: self.newest_ms.saturating_sub(OVERLAP_MS).max(BEGINNING_MS),
        })
    }

    /// Takes in one page read for `read`, begun at `started_ms` (the adaptor's clock); `full`:
    /// it held `PAGE` orders, so there may be more.
    pub fn apply(&mut self, read: Read, rows: &[Row], full: bool, started_ms: i64) -> Applied {
        let mut set: BTreeSet<String> = (0..self.len())
            .map(|i| self.hash_at(i).to_string())
            .collect();
        for r in rows {
            if crate::ids::looks_like_email(&normal_email(&r.email)) {
                set.insert(hash(&r.email));
            }
        }
        // Never past this read's own start: one order dated in the future (bad data, a clock
        // gone wrong) would move every later read past the orders made meanwhile.
        let newest = rows
            .iter()
            .map(|r| r.modified_ms)
            .max()
            .unwrap_or(self.newest_ms)
            .max(self.newest_ms)
            .min(started_ms.max(self.newest_ms));
        if set.len() > MAX_EMAILS {
            *self = GuestIndex {
                off_until_ms: started_ms.saturating_add(OFF_FOR_MS),
                ..GuestIndex::default()
            };
            return Applied::OffTooMany;
        }
        self.emails = set.into_iter().collect();
        self.newest_ms = newest;
        // A full page when the history was already read (a minute's changes, or more than a
        // page within one overlap, which no read can page past): a store this busy would have
        // every lookup read a page and ask its guest query too. Off for an hour, keeping what
        // was read; then one read tells whether it has calmed down.
        let polling = self.complete_at_ms.is_some();
        if full && (polling || newest.saturating_sub(OVERLAP_MS) <= read.since_ms) {
            self.off_until_ms = started_ms.saturating_add(OFF_WHEN_BUSY_MS);
            return Applied::OffBusy;
        }
        if full {
            Applied::Reading
        } else {
            self.complete_at_ms = Some(started_ms);
            Applied::Complete
        }
    }
}

/// The index's rows of a `GET /v2/orders` page (v2 dates are RFC 2822); orders of a customer,
/// or without a readable email or date, are skipped (a row without a date still counts for
/// its email).
pub fn rows_of(page: &serde_json::Value) -> Vec<Row> {
    page.as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["customer_id"].as_u64().unwrap_or(0) == 0)
        .filter_map(|o| {
            let email = o["billing_address"]["email"].as_str()?.to_string();
            let modified_ms = o["date_modified"]
                .as_str()
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .map_or(BEGINNING_MS, |d| d.timestamp_millis());
            Some(Row { email, modified_ms })
        })
        .collect()
}

/// `min_date_modified` as BigCommerce takes it (ISO 8601, seconds: it has no finer time).
pub fn since_param(since_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(since_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: i64 = 1_780_000_000_000;

    fn row(email: &str, modified_ms: i64) -> Row {
        Row {
            email: email.into(),
            modified_ms,
        }
    }

    fn built(rows: &[Row], at: i64) -> GuestIndex {
        let mut g = GuestIndex::default();
        let read = g.due(at, 0).unwrap_or(Read { since_ms: 0 });
        assert_eq!(g.apply(read, rows, false, at), Applied::Complete);
        g
    }

    #[test]
    fn a_new_index_cannot_tell_and_reads_from_the_beginning() {
        let g = GuestIndex::default();
        assert_eq!(g.says("jane@example.com", T, 0), Says::CannotTell);
        assert_eq!(
            g.due(T, 0),
            Some(Read {
                since_ms: BEGINNING_MS
            })
        );
    }

    #[test]
    fn fresh_it_answers_none_for_an_email_no_guest_used_in_any_case() {
        let g = built(&[row(" Guest@Example.com ", T - 5_000)], T);
        assert_eq!(g.says("guest@example.com", T + 1_000, 0), Says::Perhaps);
        assert_eq!(g.says("GUEST@example.COM", T + 1_000, 0), Says::Perhaps);
        assert_eq!(
            g.says("jane@example.com", T + 1_000, 0),
            Says::NoGuestOrders
        );
        // Trusted for a minute and not read meanwhile; then it cannot tell, and is due.
        assert_eq!(g.due(T + FRESH_MS, 0), None);
        assert_eq!(
            g.says("jane@example.com", T + FRESH_MS, 0),
            Says::NoGuestOrders
        );
        assert_eq!(
            g.says("jane@example.com", T + FRESH_MS + 1, 0),
            Says::CannotTell
        );
        assert!(g.due(T + FRESH_MS + 1, 0).is_some());
    }

    #[test]
    fn an_action_after_the_read_makes_it_due_and_untrusted() {
        let g = built(&[], T);
        assert_eq!(
            g.says("jane@example.com", T + 2_000, T + 1_000),
            Says::CannotTell
        );
        assert!(g.due(T + 2_000, T + 1_000).is_some());
    }

    #[test]
    fn the_history_is_read_a_page_at_a_time_and_trusted_only_once_read_through() {
        let mut g = GuestIndex::default();
        let first = g.due(T, 0).expect("due");
        let page: Vec<Row> = (0..PAGE as i64)
            .map(|i| row(&format!("g{i}@example.com"), T - 10_000_000 + i * 1_000))
            .collect();
        assert_eq!(g.apply(first, &page, true, T), Applied::Reading);
        assert_eq!(g.says("g1@example.com", T, 0), Says::CannotTell);
        let next = g.due(T + 100, 0).expect("still reading");
        assert_eq!(next.since_ms, T - 10_000_000 + 249_000 - OVERLAP_MS);
        assert_eq!(
            g.apply(next, &[row("last@example.com", T - 1_000)], false, T + 100),
            Applied::Complete
        );
        assert_eq!(g.says("g1@example.com", T + 200, 0), Says::Perhaps);
        assert_eq!(g.says("last@example.com", T + 200, 0), Says::Perhaps);
        assert_eq!(
            g.says("nobody@example.com", T + 200, 0),
            Says::NoGuestOrders
        );
        assert_eq!(g.len(), PAGE as usize + 1);
    }

    #[test]
    fn a_full_page_once_the_history_was_read_turns_it_off_for_an_hour_keeping_what_it_read() {
        let mut g = built(&[row("a@example.com", T)], T);
        let page: Vec<Row> = (0..PAGE as i64)
            .map(|i| row(&format!("n{i}@example.com"), T + 1_000 + i * 100))
            .collect();
        let later = T + FRESH_MS + 1;
        let read = g.due(later, 0).expect("due");
        assert_eq!(read.since_ms, T - OVERLAP_MS);
        assert_eq!(g.apply(read, &page, true, later), Applied::OffBusy);
        assert_eq!(g.says("x@example.com", later, 0), Says::CannotTell);
        assert_eq!(g.due(later + 1_000, 0), None, "off: lookups ask as before");
        // An hour on, one read from where it stopped: calm now, complete again.
        let resume = g.due(later + OFF_WHEN_BUSY_MS, 0).expect("due again");
        assert_eq!(resume.since_ms, T + 1_000 + 249 * 100 - OVERLAP_MS);
        let at = later + OFF_WHEN_BUSY_MS;
        assert_eq!(g.apply(resume, &[], false, at), Applied::Complete);
        assert_eq!(g.says("n7@example.com", at, 0), Says::Perhaps);
        assert_eq!(g.says("x@example.com", at, 0), Says::NoGuestOrders);
    }

    #[test]
    fn a_history_page_that_cannot_be_paged_past_turns_it_off() {
        let mut g = GuestIndex::default();
        let page: Vec<Row> = (0..PAGE as i64)
            .map(|i| row(&format!("b{i}@example.com"), BEGINNING_MS + 10_000))
            .collect();
        let read = g.due(T, 0).expect("due");
        assert_eq!(g.apply(read, &page, true, T), Applied::OffBusy);
        assert_eq!(g.due(T + 1_000, 0), None);
    }

    #[test]
    fn an_order_dated_in_the_future_does_not_move_reads_past_orders_made_meanwhile() {
        let year = 365 * 24 * 3600 * 1000;
        let g = {
            let mut g = GuestIndex::default();
            let read = g.due(T, 0).expect("due");
            g.apply(read, &[row("odd@example.com", T + year)], false, T);
            g
        };
        let read = g.due(T + FRESH_MS + 1, 0).expect("due");
        assert_eq!(read.since_ms, T - OVERLAP_MS, "from this side of now");
        assert_eq!(g.says("odd@example.com", T, 0), Says::Perhaps);
    }

    #[test]
    fn too_many_emails_turn_it_off_for_a_day() {
        let mut g = GuestIndex::default();
        let rows: Vec<Row> = (0..=MAX_EMAILS as i64)
            .map(|i| row(&format!("m{i}@example.com"), T - 5_000_000 + i))
            .collect();
        let read = g.due(T, 0).expect("due");
        assert_eq!(g.apply(read, &rows, false, T), Applied::OffTooMany);
        assert_eq!(g.says("m1@example.com", T, 0), Says::CannotTell);
        assert_eq!(g.due(T + 3600 * 1000, 0), None);
        assert!(g.is_empty());
    }

    #[test]
    fn the_item_round_trips_and_a_broken_one_is_a_new_index() {
        let g = built(&[row("a@example.com", T - 1)], T);
        let text = serde_json::to_string(&g).expect("text");
        assert!(!text.contains("a@example.com"), "emails only hashed");
        assert_eq!(GuestIndex::parse(&text), Some(g));
        for broken in [
            "",
            "{",
            "[]",
            r#"{"newest_ms":1,"complete_at_ms":null,"off_until_ms":0,"emails":""}"#,
            r#"{"newest_ms":946684800000,"complete_at_ms":1,"off_until_ms":0,"emails":"abc"}"#,
            r#"{"newest_ms":946684800000,"complete_at_ms":1,"off_until_ms":0,"emails":"zzzzzzzzzzzz"}"#,
            // Upper case, unsorted, repeated: a search by halves would miss.
            r#"{"newest_ms":946684800000,"complete_at_ms":1,"off_until_ms":0,"emails":"ABCDEF012345"}"#,
            r#"{"newest_ms":946684800000,"complete_at_ms":1,"off_until_ms":0,"emails":"bbbbbbbbbbbbaaaaaaaaaaaa"}"#,
            r#"{"newest_ms":946684800000,"complete_at_ms":1,"off_until_ms":0,"emails":"aaaaaaaaaaaaaaaaaaaaaaaa"}"#,
        ] {
            assert_eq!(GuestIndex::parse(broken), None, "{broken}");
        }
    }

    #[test]
    fn rows_are_guest_orders_with_their_modification_time() {
        let page = json!([
            {"id": 1, "customer_id": 0, "date_modified": "Fri, 04 Dec 2026 14:05:00 +0000",
             "billing_address": {"email": "g@example.com"}},
            {"id": 2, "customer_id": 7, "date_modified": "Fri, 04 Dec 2026 14:06:00 +0000",
             "billing_address": {"email": "reg@example.com"}},
            {"id": 3, "customer_id": 0, "billing_address": {}},
            {"id": 4, "customer_id": 0, "date_modified": "yesterday",
             "billing_address": {"email": "h@example.com"}},
        ]);
        let rows = rows_of(&page);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email, "g@example.com");
        assert_eq!(
            rows[0].modified_ms,
            chrono::DateTime::parse_from_rfc2822("Fri, 04 Dec 2026 14:05:00 +0000")
                .map(|d| d.timestamp_millis())
                .unwrap_or(0)
        );
        assert_eq!(rows[1].modified_ms, BEGINNING_MS);
        assert!(rows_of(&json!({"not": "a list"})).is_empty());
        assert_eq!(since_param(BEGINNING_MS), "2000-01-01T00:00:00+00:00");
    }
}
