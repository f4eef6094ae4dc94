//! The store's API quota, shared with every other app the merchant runs. BigCommerce counts one
//! quota per store in a fixed window (150 calls per 30 s on Standard and Plus plans) and reports
//! it on every answer (`X-Rate-Limit-Requests-Left`, `-Requests-Quota`, `-Time-Reset-Ms`,
//! `-Time-Window-Ms`). The adaptor spends at most `quota_share` of it in a window, the calls a
//! lookup cannot do without first; and it never takes the store's last calls, whoever spent
//! the rest. Decisions are plain functions; `Watch` (per container) and `Spend` (per request)
//! only hold what was seen and counted.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

tokio::task_local! {
    /// Set around a lookup's calls it cannot answer without: the latest such a call, held back
    /// by the share, may still be answered, waiting for the next window (`None`: it may not).
    static PATIENT: Option<Instant>;
}

/// Runs `f` with its calls allowed to wait for the next quota window while they can be
/// answered by `late` (`app::LATE_ANSWER`): a lookup's auto-link search, customer and orders,
/// which it cannot answer without. Only the calls `f` makes: a part read beside it (the store's
/// settings, tracking) never waits.
pub async fn patiently<F: std::future::Future>(late: Instant, f: F) -> F::Output {
    PATIENT.scope(Some(late), f).await
}

/// Runs `f` without waiting for the next window, inside a patient call: a part the cache can
/// show older instead (and the card says how old).
pub async fn impatiently<F: std::future::Future>(f: F) -> F::Output {
    PATIENT.scope(None, f).await
}

/// The late bound of the calls being made now, when they may wait for the next window.
pub fn patient_until() -> Option<Instant> {
    PATIENT.try_with(|l| *l).ok().flatten()
}

/// The most of the store's quota the adaptor may spend in a window: `0 < share ≤ 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share(f64);

impl Default for Share {
    fn default() -> Self {
        Share(0.5)
    }
}

impl Share {
    /// `"0.5"`, `"0.25"`, `"1"`; anything else (not a number, ≤ 0, > 1) is refused.
    pub fn parse(text: &str) -> Option<Share> {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0 && *x <= 1.0)
            .map(Share)
    }

    pub fn value(&self) -> f64 {
        self.0
    }

    /// The calls this share allows in a window of `quota` (at least one).
    pub fn calls(&self, quota: u32) -> u32 {
        ((f64::from(quota) * self.0).floor() as u32).max(1)
    }
}

/// What one BigCommerce answer said of the store's quota window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub left: u32,
    pub quota: u32,
    pub reset_ms: u64,
    pub window_ms: u64,
}

impl Reading {
    /// From the answer's headers; `None` unless all four are there and make sense.
    pub fn from_headers<'h>(get: impl Fn(&str) -> Option<&'h str>) -> Option<Reading> {
        let num = |name: &str| get(name).and_then(|v| v.trim().parse::<u64>().ok());
        let quota = u32::try_from(num("x-rate-limit-requests-quota")?).ok()?;
        let left = u32::try_from(num("x-rate-limit-requests-left")?).ok()?;
        let window_ms = num("x-rate-limit-time-window-ms")?;
        let reset_ms = num("x-rate-limit-time-reset-ms")?;
        (quota > 0 && window_ms > 0 && window_ms <= 3_600_000 && reset_ms <= window_ms).then_some(
            Reading {
                left: left.min(quota),
                quota,
                reset_ms,
                window_ms,
            },
        )
    }
}

/// The window in force, as one container last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The wall-clock second the window ends, rounded: the same for every container that sees
    /// the store's fixed window, so counts kept under it add up across containers.
    pub id: i64,
    pub quota: u32,
    /// The store's calls left, as last seen, less this container's calls since.
    pub left: u32,
    pub ends_in: Duration,
    pub length: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    reading: Reading,
    at: Instant,
    /// When the window ends, ms since the epoch (as this container's clock reads it).
    end_ms: i64,
}

/// Two readings whose windows end this close together are of the same window: answers arrive
/// with some latency, and out of order.
const SAME_WINDOW_MS: i64 = 1000;

/// Whether two window ids (wall-clock seconds of their ends) name the same window, as readings
/// taken by different containers, a little apart, do.
pub fn same_window(a: i64, b: i64) -> bool {
    (a - b).abs() <= SAME_WINDOW_MS / 1000
}

/// Per container (kept across requests): the store's quota as last seen, and this container's
/// own calls per window.
#[derive(Debug, Default)]
pub struct Watch {
    seen: Mutex<Option<Seen>>,
    /// This container's calls sent and not yet answered: the store's count does not have them.
    in_flight: Mutex<u32>,
    own: Mutex<BTreeMap<i64, u32>>,
    /// Calls sent while no window was known: counted in the next window seen.
    unplaced: Mutex<u32>,
    /// This container's recent calls: essential, optional (halved as they grow, so recent
    /// ones weigh most).
    mix: Mutex<(u32, u32)>,
}

fn window_id(end_ms: i64) -> i64 {
    (end_ms + 500).div_euclid(1000)
}

impl Watch {
    /// One answer's reading. Answers come back out of order: within one window the lowest
    /// count left wins, and a reading of a window that has already given way is ignored.
    pub fn observe(&self, r: Reading, now: Instant, epoch_ms: i64) {
        let end_ms = epoch_ms + i64::try_from(r.reset_ms).unwrap_or(0);
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let id = match seen.as_mut() {
            Some(s) if (end_ms - s.end_ms).abs() < SAME_WINDOW_MS => {
                s.reading.left = s.reading.left.min(r.left);
                window_id(s.end_ms)
            }
            Some(s) if end_ms < s.end_ms => return,
            _ => {
                *seen = Some(Seen {
                    reading: r,
                    at: now,
                    end_ms,
                });
                window_id(end_ms)
            }
        };
        drop(seen);
        let unplaced =
            std::mem::take(&mut *self.unplaced.lock().unwrap_or_else(|e| e.into_inner()));
        if unplaced > 0 {
            let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
            *own.entry(id).or_default() += unplaced;
        }
    }

    /// One call this container sent has been answered (or has failed).
    pub fn answered(&self) {
        let mut n = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
    }

    /// The window in force now, or `None` when none was seen or the one seen has ended.
    pub fn window(&self, now: Instant) -> Option<Window> {
        let seen = *self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let s = seen?;
        let elapsed = now.saturating_duration_since(s.at);
        let reset = Duration::from_millis(s.reading.reset_ms);
        let in_flight = *self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        (elapsed < reset).then(|| Window {
            id: window_id(s.end_ms),
            quota: s.reading.quota,
            left: s.reading.left.saturating_sub(in_flight),
            ends_in: reset - elapsed,
            length: Duration::from_millis(s.reading.window_ms),
        })
    }

    /// Counts one call this container sends in `window`.
    fn sent(&self, window: Option<i64>) {
        *self.in_flight.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        match window {
            Some(id) => {
                let mut own = self.own.lock().unwrap_or_else(|e| e.into_inner());
                *own.entry(id).or_default() += 1;
                // Only the current window and the one before matter.
                while own.len() > 2 {
                    own.pop_first();
                }
            }
            None => *self.unplaced.lock().unwrap_or_else(|e| e.into_inner()) += 1,
        }
    }

    fn mixed(&self, p: Priority) {
        let mut mix = self.mix.lock().unwrap_or_else(|e| e.into_inner());
        match p {
            Priority::Essential => mix.0 += 1,
            Priority::Optional | Priority::Once => mix.1 += 1,
        }
        if mix.0 + mix.1 > 200 {
            *mix = (mix.0 / 2, mix.1 / 2);
        }
    }

    /// Essential calls' part of this container's recent calls (calls made once for many
    /// lookups count as not essential: they will not come again this window).
    pub fn essential_part(&self) -> f64 {
        let (e, o) = *self.mix.lock().unwrap_or_else(|e| e.into_inner());
        if e + o < 10 {
            ESSENTIAL_PART
        } else {
            f64::from(e) / f64::from(e + o)
        }
    }

    fn own(&self, window: i64) -> u32 {
        let own = self.own.lock().unwrap_or_else(|e| e.into_inner());
        own.get(&window).copied().unwrap_or(0)
    }
}

/// Which calls give way first when the share runs low.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Auto-link, the customer, their orders, the store's settings (its currency and country).
    Essential,
    /// Shipments, product images: a card is still true without them, and says so.
    Optional,
    /// Essential, but made once for many lookups (the store's settings, the guest index's and
    /// the customer directory's reads): never held back for tracking, and no measure of the
    /// essential calls the rest of a window will want (a cold start's dozen of them would
    /// hold tracking back in the windows after it).
    Once,
}

/// Essential calls' part of all the lookups' calls, before any was seen.
const ESSENTIAL_PART: f64 = 0.7;
/// The rate of calls so far is judged over at least this much of the window.
const MIN_ELAPSED: Duration = Duration::from_secs(5);

/// The most calls the adaptor spends in a window of `quota`: its share less a twentieth (at
/// least one) for other containers' calls in flight that no count has caught yet.
pub fn ceiling(share: Share, quota: u32) -> u32 {
    let share_calls = share.calls(quota);
    share_calls.saturating_sub((share_calls / 20).max(1)).max(1)
}

/// Whether a call may go, given the adaptor's calls in this window (`ours`, every container's
/// as far as is known) and in the window before (`before`, when known), the store's calls left,
/// how far into the window we are, and which part of the lookups' calls have been essential
/// lately.
pub fn allow(
    p: Priority,
    share: Share,
    w: &Window,
    ours: u32,
    before: Option<u32>,
    essential_part: f64,
) -> bool {
    let cap = ceiling(share, w.quota);
    // Never the store's last calls: the merchant's other apps would be answered 429.
    let floor = (w.quota / 20).max(2);
    if w.left <= floor || ours >= cap {
        return false;
    }
    match p {
        Priority::Essential | Priority::Once => true,
        // Optional calls leave room for the essential calls the rest of the window will want
        // at the rate calls have come so far (and a tenth more, for bursts): in a busy window
        // tracking gives way, never an auto-link or a customer's orders.
        // Below a third of the share nothing is short: a burst early in a window is no rate.
        Priority::Optional if ours < cap / 3 => true,
        // The last tenth is the essential calls' alone, for a burst late in the window.
        Priority::Optional if ours + cap / 10 >= cap => false,
        Priority::Optional => {
            let elapsed = w.length.saturating_sub(w.ends_in);
            // The rate over this window so far and the whole window before, when its count is
            // known: a burst early in a quiet window is no rate for the rest of it.
            let rate = match before {
                Some(b) => (f64::from(ours) + f64::from(b)) / (elapsed + w.length).as_secs_f64(),
                None => f64::from(ours) / elapsed.max(MIN_ELAPSED).as_secs_f64(),
            };
            let part = if essential_part.is_finite() {
                essential_part.clamp(0.0, 1.0)
            } else {
                ESSENTIAL_PART
            };
            let reserve = rate * part * w.ends_in.as_secs_f64() * 1.1;
            f64::from(ours) + reserve < f64::from(cap)
        }
    }
}

/// Per request: the adaptor's count at the start (from the shared cache, every container's
/// calls) and this request's own calls, by window.
#[derive(Debug)]
pub struct Spend {
    share: Share,
    at_start: Option<(i64, u32)>,
    /// The adaptor's calls in the window before the one at the start, when known.
    before: Option<u32>,
    mine: Mutex<BTreeMap<i64, u32>>,
    /// This request's calls sent while no window was known: taken as spent in the window in force.
    unplaced: Mutex<u32>,
}

/// What the transport is told before a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    /// The share is spent; the window ends in this long.
    Spent(Duration),
}

impl Spend {
    pub fn new(share: Share, at_start: Option<(i64, u32)>) -> Self {
        Spend {
            share,
            at_start,
            before: None,
            mine: Mutex::new(BTreeMap::new()),
            unplaced: Mutex::new(0),
        }
    }

    /// The adaptor's calls in the window before the one the request began in, as the shared
    /// count had them: the rate of calls is judged over it too.
    pub fn with_before(mut self, before: Option<u32>) -> Self {
        self.before = before;
        self
    }

    /// The adaptor's calls in `window` as far as this request knows.
    fn ours(&self, watch: &Watch, window: i64) -> u32 {
        let mine = self.mine.lock().unwrap_or_else(|e| e.into_inner());
        let this = mine.get(&window).copied().unwrap_or(0);
        let unplaced = *self.unplaced.lock().unwrap_or_else(|e| e.into_inner());
        (self.at_start_in(window) + this + unplaced).max(watch.own(window))
    }

    /// The adaptor's calls in window `w` as a fraction of its share (1.0: spent).
    pub fn share_used(&self, watch: &Watch, w: &Window) -> f64 {
        f64::from(self.ours(watch, w.id)) / f64::from(self.share.calls(w.quota))
    }

    /// The count before, while `window` is the one the request began in: it is of that
    /// window's predecessor.
    fn before_in(&self, window: i64) -> Option<u32> {
        self.before
            .filter(|_| self.at_start.is_some_and(|(id, _)| same_window(id, window)))
    }

    /// Whether the share is tight enough for the customer directory to pay: the adaptor has
    /// spent a sixth of its ceiling in the window in force or the one before (at the default
    /// share 12 calls, some five conversations a window). A store of 10,000 customers costs the
    /// directory about 1.5 calls a window (its passes and change reads) and spares one search
    /// per conversation.
    pub fn busy(&self, watch: &Watch, now: Instant) -> bool {
        let Some(w) = watch.window(now) else {
            return false;
        };
        let enough = (ceiling(self.share, w.quota) / 6).max(1);
        self.ours(watch, w.id) >= enough || self.before_in(w.id).is_some_and(|b| b >= enough)
    }

    /// Asks before a call; counts it when it may go.
    pub fn ask(&self, watch: &Watch, p: Priority, now: Instant) -> Verdict {
        let Some(w) = watch.window(now) else {
            // A new window, or none seen yet: the call goes and its answer tells.
            watch.sent(None);
            watch.mixed(p);
            *self.unplaced.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            return Verdict::Go;
        };
        if !allow(
            p,
            self.share,
            &w,
            self.ours(watch, w.id),
            self.before_in(w.id),
            watch.essential_part(),
        ) {
            return Verdict::Spent(w.ends_in);
        }
        watch.sent(Some(w.id));
        watch.mixed(p);
        *self
            .mine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(w.id)
            .or_default() += 1;
        Verdict::Go
    }

    /// This request's calls by window, for the shared count; `current` is the window in force
    /// now, where calls sent before any window was known are counted.
    pub fn mine(&self, current: Option<i64>) -> Vec<(i64, u32)> {
        let mut mine = self.mine.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let unplaced = *self.unplaced.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(id), true) = (current, unplaced > 0) {
            *mine.entry(id).or_default() += unplaced;
        }
        mine.into_iter().collect()
    }

    pub fn share(&self) -> Share {
        self.share
    }

    /// The shared count at the start, if it was for `window`.
    pub fn at_start_in(&self, window: i64) -> u32 {
        match self.at_start {
            Some((id, n)) if same_window(id, window) => n,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(left: u32, ends_in_s: u64) -> Window {
        Window {
            id: 1,
            quota: 150,
            left,
            ends_in: Duration::from_secs(ends_in_s),
            length: Duration::from_secs(30),
        }
    }

    /// `allow` with the default share and the default essential part.
    fn allows(p: Priority, w: Window, ours: u32, before: Option<u32>) -> bool {
        allow(p, Share::default(), &w, ours, before, 0.7)
    }

    #[test]
    fn shares_outside_zero_to_one_are_refused() {
        for bad in ["", "x", "0", "-0.5", "1.01", "NaN", "inf", "1e9"] {
            assert_eq!(Share::parse(bad), None, "{bad}");
        }
        assert_eq!(Share::parse(" 0.25 ").map(|s| s.calls(150)), Some(37));
        assert_eq!(Share::parse("1").map(|s| s.calls(150)), Some(150));
        assert_eq!(Share::default().calls(150), 75);
        assert_eq!(Share::parse("0.001").map(|s| s.calls(150)), Some(1));
        // The ceiling keeps a twentieth back for calls in flight, and never falls to none.
        assert_eq!(ceiling(Share::default(), 150), 72);
        assert_eq!(Share::parse("0.6").map(|s| ceiling(s, 150)), Some(86));
        assert_eq!(Share::parse("0.001").map(|s| ceiling(s, 150)), Some(1));
    }

    #[test]
    fn headers_are_read_only_when_they_make_sense() {
        let h = |l: &str, q: &str, r: &str, w: &str| {
            let pairs = [
                ("x-rate-limit-requests-left", l.to_string()),
                ("x-rate-limit-requests-quota", q.to_string()),
                ("x-rate-limit-time-reset-ms", r.to_string()),
                ("x-rate-limit-time-window-ms", w.to_string()),
            ];
            Reading::from_headers(|k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str()))
        };
        assert_eq!(
            h("120", "150", "1500", "30000"),
            Some(Reading {
                left: 120,
                quota: 150,
                reset_ms: 1500,
                window_ms: 30000
            })
        );
        assert_eq!(h("", "150", "1", "30000"), None);
        assert_eq!(h("1", "0", "1", "30000"), None, "a quota of none");
        assert_eq!(
            h("1", "150", "40000", "30000"),
            None,
            "resets after its window"
        );
        assert_eq!(h("-1", "150", "1", "30000"), None);
        assert_eq!(h("999", "150", "1", "30000").map(|r| r.left), Some(150));
    }

    #[test]
    fn essential_calls_spend_up_to_the_share_less_a_margin() {
        assert!(allows(Priority::Essential, window(150, 29), 0, None));
        assert!(allows(Priority::Essential, window(80, 10), 70, None));
        assert!(
            !allows(Priority::Essential, window(80, 10), 72, None),
            "75 less 3 in flight"
        );
        assert!(
            !allows(Priority::Essential, window(7, 10), 0, None),
            "the store's last calls are left to the others"
        );
    }

    #[test]
    fn calls_made_once_for_many_lookups_are_no_measure_of_the_essential_rate() {
        // A cold start: the store's settings and the directory's and guest index's reads (8),
        // then 12 lookups' orders and 10 of their shipments.
        let watch = Watch::default();
        for _ in 0..8 {
            watch.mixed(Priority::Once);
        }
        for _ in 0..12 {
            watch.mixed(Priority::Essential);
        }
        for _ in 0..10 {
            watch.mixed(Priority::Optional);
        }
        assert!((watch.essential_part() - 12.0 / 30.0).abs() < 1e-9);
        // 3 s into the window after a cold one of 70 calls, 26 spent: counted as essential,
        // the one-off calls would hold tracking back (some 58 more essential calls expected);
        // as what they are, it goes (some 35).
        let w = window(150, 27);
        assert!(!allow(
            Priority::Optional,
            Share::default(),
            &w,
            26,
            Some(70),
            20.0 / 30.0
        ));
        assert!(allow(
            Priority::Optional,
            Share::default(),
            &w,
            26,
            Some(70),
            watch.essential_part()
        ));
        // Never held back for tracking, as essential calls are not.
        assert!(allows(Priority::Once, window(150, 1), 70, None));
        assert!(!allows(Priority::Once, window(150, 1), 72, None));
    }

    #[test]
    fn optional_calls_give_way_when_the_window_is_busy() {
        let s = Share::default();
        // 15 s in, 30 calls so far (2 a second, 70 % essential): 23 more essential expected.
        assert!(allows(Priority::Optional, window(150, 15), 30, None));
        // A busy window: 42 calls in 15 s would want 32 more essential ones (72 in all).
        assert!(!allows(Priority::Optional, window(150, 15), 42, None));
        assert!(allows(Priority::Essential, window(150, 15), 42, None));
        // Late in a quiet window, tracking goes, but never into the essential calls' last tenth.
        assert!(allows(Priority::Optional, window(150, 1), 60, None));
        assert!(!allows(Priority::Optional, window(150, 1), 65, None));
        assert!(allows(Priority::Essential, window(150, 1), 71, None));
        // Early, with few calls, the rate is judged over 5 s, not over a few milliseconds.
        assert!(allows(Priority::Optional, window(150, 30), 3, None));
        // A burst early in the window (20 calls in 3 s) is no reason to drop tracking yet.
        assert!(allows(Priority::Optional, window(150, 27), 20, None));
        assert!(!allows(Priority::Optional, window(150, 22), 40, None));
        // A burst in a quiet window (35 calls 10 s in, 35 in the whole window before): judged
        // over both, 1.75 calls a second, the rest of the window wants about 25: tracking goes.
        assert!(allows(Priority::Optional, window(150, 20), 35, Some(35)));
        // Judged over this window alone it would give way.
        assert!(!allows(Priority::Optional, window(150, 20), 35, None));
        // Busy before as well (72): it gives way.
        assert!(!allows(Priority::Optional, window(150, 20), 35, Some(72)));
        // A mix that says nothing sane is taken as the default.
        assert!(allow(
            Priority::Optional,
            s,
            &window(150, 15),
            30,
            None,
            f64::NAN
        ));
    }

    #[tokio::test]
    async fn only_the_calls_inside_patiently_may_wait_and_a_kept_part_never_does() {
        let late = Instant::now() + Duration::from_secs(11);
        assert_eq!(patient_until(), None);
        let inside = patiently(late, async { patient_until() }).await;
        assert_eq!(inside, Some(late));
        let kept = patiently(late, impatiently(async { patient_until() })).await;
        assert_eq!(kept, None);
        // A call beside a patient one (both polled by one join) is not patient.
        let (a, b) = tokio::join!(patiently(late, async { patient_until() }), async {
            patient_until()
        });
        assert_eq!((a, b), (Some(late), None));
    }

    #[test]
    fn answers_out_of_order_never_raise_the_count_left() {
        let watch = Watch::default();
        let now = Instant::now();
        let r = |left, reset_ms| Reading {
            left,
            quota: 150,
            reset_ms,
            window_ms: 30_000,
        };
        watch.observe(r(100, 20_000), now, 1_000_000);
        // A slower answer of the same window, sent earlier, says more was left: ignored.
        watch.observe(r(110, 20_050), now, 1_000_000);
        assert_eq!(watch.window(now).map(|w| w.left), Some(100));
        // An answer of the window before, arriving late: ignored.
        watch.observe(r(3, 40), now, 999_000);
        assert_eq!(watch.window(now).map(|w| w.left), Some(100));
        // Calls in flight are not in the store's count yet.
        let spend = Spend::new(Share::default(), None);
        assert_eq!(spend.ask(&watch, Priority::Essential, now), Verdict::Go);
        assert_eq!(watch.window(now).map(|w| w.left), Some(99));
        watch.answered();
        watch.observe(r(99, 19_000), now, 1_001_000);
        assert_eq!(watch.window(now).map(|w| w.left), Some(99));
        // The windows each container names a second apart are one.
        assert!(same_window(1_000, 1_001) && !same_window(1_000, 1_030));
    }

    /// A watch that saw one answer: 100 of 150 left, 20 s of a 30 s window to go; and the
    /// window's id.
    fn watching(now: Instant) -> (Watch, i64) {
        let watch = Watch::default();
        watch.observe(
            Reading {
                left: 100,
                quota: 150,
                reset_ms: 20_000,
                window_ms: 30_000,
            },
            now,
            1_000_000,
        );
        let id = watch.window(now).map(|w| w.id).unwrap_or_default();
        (watch, id)
    }

    #[test]
    fn a_request_counts_every_container_and_stops_at_the_share() {
        let now = Instant::now();
        let (watch, id) = watching(now);
        // The shared count says the other containers spent 60 in this window.
        let spend = Spend::new(Share::default(), Some((id, 60)));
        let mut went = 0;
        while spend.ask(&watch, Priority::Essential, now) == Verdict::Go {
            went += 1;
            assert!(went < 100, "never stops");
        }
        assert_eq!(went, 12, "72 in all less the 60 spent");
        assert_eq!(spend.mine(Some(id)), vec![(id, 12)]);
        assert_eq!(watch.window(now).map(|w| w.left), Some(88));
        // A new window (the one seen has ended): calls go, and its first answer tells.
        let later = now + Duration::from_secs(21);
        assert_eq!(watch.window(later), None);
        assert_eq!(spend.ask(&watch, Priority::Essential, later), Verdict::Go);
    }

    #[test]
    fn the_share_is_tight_from_a_sixth_of_the_ceiling_in_this_window_or_the_one_before() {
        let now = Instant::now();
        let unknown = Watch::default();
        assert!(
            !Spend::new(Share::default(), None).busy(&unknown, now),
            "no window known"
        );
        let (watch, id) = watching(now);
        // The ceiling at the default share is 72: a sixth is 12.
        assert!(!Spend::new(Share::default(), Some((id, 11))).busy(&watch, now));
        assert!(Spend::new(Share::default(), Some((id, 12))).busy(&watch, now));
        let quiet_now = Spend::new(Share::default(), Some((id, 0)));
        assert!(!quiet_now.with_before(Some(11)).busy(&watch, now));
        let quiet_now = Spend::new(Share::default(), Some((id, 0)));
        assert!(quiet_now.with_before(Some(12)).busy(&watch, now));
        // The count before is of the window the request began in only.
        let elsewhere = Spend::new(Share::default(), Some((id + 60, 0)));
        assert!(!elsewhere.with_before(Some(70)).busy(&watch, now));
    }
}
