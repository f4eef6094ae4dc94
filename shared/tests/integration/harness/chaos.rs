//! The money chaos runs' one scaffold (`chaos`, `credit_chaos`, `replacement_money`): workers
//! submit hundreds of forms of one action while faults are drawn at random at the store and
//! the ledger (a new form, a repeat of an earlier one, a double click, two forms racing on one
//! target, an attempt abandoned mid-flight and taken over later); then the faults stop, every
//! form whose last answer was not final is sent again until it is, and the run is judged from
//! the store's own state: the premises that the chaos happened and that no write landed later
//! than the engine may assume, every request written once at most, every answer an agent saw
//! true.
//!
//! What differs between actions is a `ChaosAction` (how a form is opened and its body drawn,
//! which faults its routes get, what the store holds behind a request and whether a done answer
//! names it) and a `Plan` (how many workers and submits, the mix of steps, the least the chaos
//! must have done). The draws are seeded: `CHAOS_SEED=<n>` repeats them; the seed is printed.

use super::engine::Timing;
use super::faulty::{Faults, FaultyLedger};
use super::{
    clear_log, control, fault_alone, late_writes, sandbox, served_writes, store_lag_ms,
    store_settings, TestApp,
};
use bigcommerce_sandbox::Running;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub type ChaosApp = TestApp<FaultyLedger>;

/// What the agent was told, as the agent reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen<D> {
    /// 200, and what it says that the checks read (a message, a new order's number).
    Done(D),
    /// 406, a form error, or a 400 saying nothing was changed.
    Nothing,
    /// 400 saying the result is not known yet (submit again).
    Uncertain,
    /// The attempt was abandoned by its caller before an answer.
    Abandoned,
}

pub fn classify<D>(status: u16, v: &Value, done: impl Fn(&Value) -> D) -> Seen<D> {
    let errors = v["errors"].as_array().cloned().unwrap_or_default();
    let general = errors
        .first()
        .and_then(|e| e["message"].as_str())
        .unwrap_or_default()
        .to_lowercase();
    match status {
        200 => Seen::Done(done(v)),
        406 => Seen::Nothing,
        400 if errors.iter().any(|e| e["attr"].is_string()) => Seen::Nothing,
        400 if general.contains("nothing") => Seen::Nothing,
        400 => Seen::Uncertain,
        other => panic!("an answer outside the contract: {other} {v}"),
    }
}

/// Every answer the agents saw, in order: (sequence, request id, what was seen).
pub type Answers<D> = Vec<(u64, String, Seen<D>)>;

/// A form opened during the run: on which target (an order, a shopper), where it is submitted,
/// the body drawn, and what the action drew with it for its checks.
#[derive(Debug, Clone)]
pub struct Form<X> {
    pub target: u64,
    pub path: String,
    pub rid: String,
    pub body: Value,
    pub drawn: X,
}

/// A ledger write that fails once.
#[derive(Debug, Clone, Copy)]
pub enum LedgerFault {
    Complete,
    Release,
    MarkUncertain,
    Unlease,
}

/// A fault drawn before a step.
#[derive(Debug, Clone)]
pub enum Fault {
    None,
    /// A sandbox fault (`/__sandbox/faults`), armed only if none is armed on its route.
    Store(Value),
    Ledger(LedgerFault),
}

impl Fault {
    /// One of the ledger faults `which`, drawn.
    pub fn ledger(rng: &mut SmallRng, which: &[LedgerFault]) -> Fault {
        let n = i32::try_from(which.len()).unwrap_or(1);
        let i = usize::try_from(rng.random_range(0..n)).unwrap_or(0);
        Fault::Ledger(which[i])
    }
}

/// The refund run's draw of faults (`chaos`, and `credit_chaos` as it runs refunds): in 20
/// draws, seven on the action's `write` (a late commit, 5xx before and after the store acted,
/// 429, a timeout, a garbled answer, an answer after the cut), one on the `read` its settle
/// searches (503 twice), two on the ledger, ten none.
pub fn refund_run_fault(rng: &mut SmallRng, write: &str, read: &str) -> Fault {
    Fault::Store(match rng.random_range(0..20) {
        0 => json!({"route": write, "latency_ms": 700, "detached": true, "times": 1}),
        1 => json!({"route": write, "status": 500, "times": 1}),
        2 => json!({"route": write, "status": 502, "after": true, "times": 1}),
        3 => json!({"route": write, "status": 429, "times": 1}),
        4 => json!({"route": write, "latency_ms": 700, "times": 1}),
        5 => json!({"route": write, "malformed": true, "after": true, "times": 1}),
        6 => json!({"route": write, "answer_after_ms": 600, "times": 1}),
        7 => json!({"route": read, "status": 503, "times": 2}),
        8 => return Fault::Ledger(LedgerFault::Complete),
        9 => {
            return Fault::ledger(
                rng,
                &[
                    LedgerFault::Release,
                    LedgerFault::MarkUncertain,
                    LedgerFault::Unlease,
                ],
            )
        }
        _ => return Fault::None,
    })
}

/// What a worker does in one step.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// A new form, submitted once.
    Single,
    /// The same form again later (a retry, or the agent clicking again).
    Repeat,
    /// A double click: the same form twice at once.
    Duplicate,
    /// Two agents: two forms on one target at once.
    Race,
    /// An attempt abandoned mid-flight (the function killed), taken over later.
    Abandon,
}

/// The refund run's mix of steps (`chaos`, and `credit_chaos` as it runs refunds): four in ten
/// a new form, two a repeat, one a double click, one a race, two abandoned.
pub const MIX: &[Step] = &[
    Step::Single,
    Step::Single,
    Step::Single,
    Step::Single,
    Step::Repeat,
    Step::Repeat,
    Step::Duplicate,
    Step::Race,
    Step::Abandon,
    Step::Abandon,
];

/// The least the run must have done for its verdict to mean anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Least {
    pub submits: u64,
    pub store_faults: u64,
    pub ledger_faults: u32,
    pub abandoned: u64,
    pub duplicates: u64,
    pub races: u64,
    pub done: u64,
}

/// One action's run: its size, its mix of steps, its clock, its premises.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Printed before the seed ("store credit chaos").
    pub name: &'static str,
    /// What a form is opened on ("order", "shopper").
    pub target: &'static str,
    pub workers: u64,
    pub submits: u64,
    /// A step is drawn from these, each equally likely.
    pub steps: &'static [Step],
    /// When an abandoned attempt is cut, in milliseconds.
    pub cut_ms: Range<u64>,
    /// The store route of the action's write, whose landings the late-write premise reads.
    pub write: &'static str,
    pub timing: Timing,
    pub least: Least,
}

/// What differs between the money actions' chaos runs.
pub trait ChaosAction {
    /// What a done answer says that the checks read.
    type Done: Clone + Debug + PartialEq;
    /// What a form's draw chose beyond its body (an amount, a reason).
    type Drawn: Clone + Debug;
    /// What the store holds behind one request (an order and an amount).
    type Held: Clone + Debug + PartialEq;

    fn done(answer: &Value) -> Self::Done;

    /// Opens the action's form on `target`.
    async fn form(&self, app: &ChaosApp, target: u64) -> (u16, Value);

    /// Draws the body to submit on an open form, or none.
    fn draw(&self, form: &Value, rng: &mut SmallRng) -> Option<(Value, Self::Drawn)>;

    /// Draws a fault to arm before a step.
    fn fault(&self, rng: &mut SmallRng) -> Fault;

    /// A draw count an answer stands for (a refusal the run means to reach).
    fn noted(&self, _status: u16, _answer: &Value) -> Option<&'static str> {
        None
    }

    /// What the store holds after the run, by request id.
    async fn held(&self, sb: &Running, targets: &[u64]) -> HashMap<String, Vec<Self::Held>>;

    /// Asserts that a done answer names what the store holds behind it (`premise` said with
    /// each failure).
    fn told_true(
        &self,
        form: &Form<Self::Drawn>,
        done: &Self::Done,
        held: &Self::Held,
        premise: &str,
    );
}

/// The run's seed: `CHAOS_SEED`, else the clock.
pub fn chaos_seed() -> u64 {
    std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(7)
        })
}

/// How many answers of each kind the agents saw.
pub fn tally<D>(seen: &Answers<D>) -> BTreeMap<&'static str, u64> {
    let mut kinds: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (_, _, s) in seen {
        *kinds
            .entry(match s {
                Seen::Done(_) => "done",
                Seen::Nothing => "nothing changed",
                Seen::Uncertain => "uncertain",
                Seen::Abandoned => "abandoned",
            })
            .or_default() += 1;
    }
    kinds
}

/// The store runs on a thread of its own, as BigCommerce runs on servers of its own: on the
/// test's runtime, six busy workers could starve it, so a write could land long after the
/// settle time the engine rightly assumes (a first run on one thread saw exactly that).
pub fn sandbox_on_its_own_thread() -> Running {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("sandbox runtime");
        rt.block_on(async move {
            let _ = tx.send(sandbox().await);
            std::future::pending::<()>().await;
        });
    });
    rx.recv().expect("the sandbox started")
}

/// A chaos run in progress: the app on a store of its own, and what the agents did and saw.
pub struct Run<A: ChaosAction> {
    pub app: ChaosApp,
    pub sb: Running,
    action: A,
    plan: Plan,
    seed: u64,
    started: Instant,
    forms: Mutex<Vec<Form<A::Drawn>>>,
    seen: Mutex<Answers<A::Done>>,
    seq: AtomicU64,
    submits: AtomicU64,
    stats: Mutex<BTreeMap<String, u64>>,
    /// Held while a store fault is checked and armed (`fault_alone`).
    arming: tokio::sync::Mutex<()>,
}

/// The judged run, for the action's own invariants.
pub struct End<A: ChaosAction> {
    pub forms: Vec<Form<A::Drawn>>,
    pub seen: Answers<A::Done>,
    pub stats: BTreeMap<String, u64>,
    pub held: HashMap<String, Vec<A::Held>>,
    /// Whether every write landed before the engine could settle it, said with every invariant.
    pub premise: String,
}

fn last_of<D: Clone>(seen: &Answers<D>, rid: &str) -> Option<Seen<D>> {
    seen.iter()
        .filter(|(_, r, _)| r == rid)
        .max_by_key(|(n, _, _)| *n)
        .map(|(_, _, s)| s.clone())
}

impl<A: ChaosAction> End<A> {
    /// The last answer the agents saw for request `rid`.
    pub fn last(&self, rid: &str) -> Option<Seen<A::Done>> {
        last_of(&self.seen, rid)
    }

    pub fn stat(&self, what: &str) -> u64 {
        self.stats.get(what).copied().unwrap_or(0)
    }
}

impl<A: ChaosAction> Run<A> {
    /// Prints the seed, starts the store on its own thread (no rate limit) and the app on it
    /// with a ledger that fails on command; `secret` edits the store's secret first.
    pub async fn start(plan: Plan, action: A, secret: impl FnOnce(&mut Value)) -> Self {
        let seed = chaos_seed();
        println!(
            "{} seed: {seed} (CHAOS_SEED={seed} repeats the draws)",
            plan.name
        );
        let started = Instant::now();
        let sb = sandbox_on_its_own_thread();
        store_settings(&sb, json!({"rate_limit_quota": 1_000_000})).await;
        let mut s = super::store_secret(&sb);
        secret(&mut s);
        let app = TestApp::of(&sb)
            .secret(s)
            .timing(plan.timing)
            .faulty()
            .await;
        Self {
            app,
            sb,
            action,
            plan,
            seed,
            started,
            forms: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            submits: AtomicU64::new(0),
            stats: Mutex::new(BTreeMap::new()),
            arming: tokio::sync::Mutex::new(()),
        }
    }

    fn count(&self, what: &str) {
        if let Ok(mut s) = self.stats.lock() {
            *s.entry(what.to_string()).or_default() += 1;
        }
    }

    fn faults(&self) -> &Faults {
        &self.app.ledger().faults
    }

    fn last(&self, rid: &str) -> Option<Seen<A::Done>> {
        self.seen.lock().ok().and_then(|s| last_of(&s, rid))
    }

    async fn new_form(&self, target: u64, rng: &mut SmallRng) -> Option<Form<A::Drawn>> {
        let (status, form) = self.action.form(&self.app, target).await;
        if status != 200 {
            return None;
        }
        let path = form["actionUrl"].as_str()?.to_string();
        let rid = super::rid_of(&path);
        let (body, drawn) = self.action.draw(&form, rng)?;
        let f = Form {
            target,
            path,
            rid,
            body,
            drawn,
        };
        if let Ok(mut forms) = self.forms.lock() {
            forms.push(f.clone());
        }
        Some(f)
    }

    fn answer(&self, f: &Form<A::Drawn>, status: u16, v: &Value) {
        if let Some(what) = self.action.noted(status, v) {
            self.count(what);
        }
        self.record(&f.rid, classify(status, v, A::done));
    }

    async fn submit(&self, f: &Form<A::Drawn>) {
        self.submits.fetch_add(1, Ordering::SeqCst);
        let (status, v) = self.app.submit(&f.path, &f.body).await;
        self.answer(f, status, &v);
    }

    fn record(&self, rid: &str, seen: Seen<A::Done>) {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut s) = self.seen.lock() {
            s.push((n, rid.to_string(), seen));
        }
    }

    /// One fault at the store or the ledger, drawn at random (or none).
    async fn maybe_fault(&self, rng: &mut SmallRng) {
        match self.action.fault(rng) {
            Fault::None => {}
            Fault::Store(f) => {
                if fault_alone(&self.sb, &self.arming, f).await {
                    self.count("store fault armed");
                } else {
                    self.count("store fault not armed: one armed on its route");
                }
            }
            Fault::Ledger(which) => {
                let faults = self.faults();
                let counter = match which {
                    LedgerFault::Complete => &faults.complete,
                    LedgerFault::Release => &faults.release,
                    LedgerFault::MarkUncertain => &faults.mark_uncertain,
                    LedgerFault::Unlease => &faults.unlease,
                };
                counter.fetch_add(1, Ordering::SeqCst);
                self.count("ledger fault armed");
            }
        }
    }

    fn pick_existing(&self, rng: &mut SmallRng) -> Option<Form<A::Drawn>> {
        let forms = self.forms.lock().ok()?;
        if forms.is_empty() {
            return None;
        }
        Some(forms[rng.random_range(0..forms.len())].clone())
    }

    async fn worker(&self, seed: u64, targets: &[u64]) {
        let mut rng = SmallRng::seed_from_u64(seed);
        // Drawn as i32, as each test drew its step before the harness: a seed repeats its draws.
        let steps = i32::try_from(self.plan.steps.len()).unwrap_or(i32::MAX);
        while self.submits.load(Ordering::SeqCst) < self.plan.submits {
            self.maybe_fault(&mut rng).await;
            let target = targets[rng.random_range(0..targets.len())];
            let step = usize::try_from(rng.random_range(0..steps)).unwrap_or(0);
            match self.plan.steps[step] {
                Step::Single => {
                    if let Some(f) = self.new_form(target, &mut rng).await {
                        self.submit(&f).await;
                        self.count("single submit");
                    }
                }
                Step::Repeat => {
                    if let Some(f) = self.pick_existing(&mut rng) {
                        self.submit(&f).await;
                        self.count("repeat of an earlier form");
                    }
                }
                Step::Duplicate => {
                    if let Some(f) = self.new_form(target, &mut rng).await {
                        tokio::join!(self.submit(&f), self.submit(&f));
                        self.count("concurrent duplicate");
                    }
                }
                Step::Race => {
                    let a = self.new_form(target, &mut rng).await;
                    let b = self.new_form(target, &mut rng).await;
                    if let (Some(a), Some(b)) = (a, b) {
                        tokio::join!(self.submit(&a), self.submit(&b));
                        self.count(&self.race());
                    }
                }
                Step::Abandon => {
                    if let Some(f) = self.new_form(target, &mut rng).await {
                        let cut = Duration::from_millis(rng.random_range(self.plan.cut_ms.clone()));
                        self.submits.fetch_add(1, Ordering::SeqCst);
                        match tokio::time::timeout(cut, self.app.submit(&f.path, &f.body)).await {
                            Ok((status, v)) => self.answer(&f, status, &v),
                            Err(_) => {
                                self.record(&f.rid, Seen::Abandoned);
                                self.count("abandoned mid-flight");
                            }
                        }
                    }
                }
            }
        }
    }

    fn race(&self) -> String {
        format!("two forms racing on one {}", self.plan.target)
    }

    /// Faults off; every lease expired and every abandoned or uncertain attempt settleable;
    /// then each form whose last answer was not final is sent again until it is. Returns how
    /// many never became final.
    async fn settle(&self, forms: &[Form<A::Drawn>]) -> usize {
        control(&self.sb, "DELETE", "/__sandbox/faults", None).await;
        self.faults().clear();
        let t = self.plan.timing;
        tokio::time::sleep(t.total + t.settle_after + t.lease).await;
        let open =
            |s: &Option<Seen<A::Done>>| matches!(s, Some(Seen::Uncertain) | Some(Seen::Abandoned));
        let mut unsettled = 0;
        for f in forms {
            for _ in 0..4 {
                if !open(&self.last(&f.rid)) {
                    break;
                }
                self.submit(f).await;
                if matches!(self.last(&f.rid), Some(Seen::Uncertain)) {
                    tokio::time::sleep(t.settle_after).await;
                }
            }
            if open(&self.last(&f.rid)) {
                unsettled += 1;
            }
        }
        unsettled
    }

    /// Runs the workers on `targets`, settles, and judges the run from the store's own state:
    /// the premises (the chaos happened, no write landed after the engine's settle), every
    /// request settled and written once at most, every answer an agent saw true, and the run
    /// under 2 minutes. The action's own invariants are the caller's, on the `End`.
    pub async fn go(&self, targets: &[u64]) -> End<A> {
        clear_log(&self.sb).await;
        futures::future::join_all(
            (0..self.plan.workers).map(|w| self.worker(self.seed.wrapping_add(w), targets)),
        )
        .await;
        let forms: Vec<Form<A::Drawn>> = self.forms.lock().map(|f| f.clone()).unwrap_or_default();
        let unsettled = self.settle(&forms).await;

        // What BigCommerce holds.
        let log = control(&self.sb, "GET", "/__sandbox/requests", None).await;
        let held = self.action.held(&self.sb, targets).await;
        let t = self.plan.timing;
        let late = late_writes(&log, self.plan.write, &t);
        // Said with every invariant: whether a double is the action's or the engine's bug, or
        // a write that landed later than the engine may assume.
        let premise = if late.is_empty() {
            "premise held: every write landed before the engine could settle it, so this is real"
                .to_string()
        } else {
            format!("premise broken, not a real double: {}", late.join("; "))
        };
        let stats = self.stats.lock().map(|s| s.clone()).unwrap_or_default();
        let seen = self.seen.lock().map(|s| s.clone()).unwrap_or_default();
        let kinds = tally(&seen);
        let submits = self.submits.load(Ordering::SeqCst);
        let store_faults = log["faulted"].as_u64().unwrap_or(0);
        let ledger_faults = self.faults().fired();
        println!(
            "{submits} submits on {} {}s in {:.1} s; draws {stats:?}; answers {kinds:?}; store faults fired {store_faults}, ledger faults fired {ledger_faults}; writes the store holds {}; the store's own lag on a write at most {} ms; late writes: {late:?}",
            targets.len(),
            self.plan.target,
            self.started.elapsed().as_secs_f64(),
            held.values().map(Vec::len).sum::<usize>(),
            store_lag_ms(&log, self.plan.write),
        );

        // Premises: the chaos happened.
        let least = self.plan.least;
        let stat = |what: &str| stats.get(what).copied().unwrap_or(0);
        assert!(submits >= least.submits, "submits: {submits}");
        assert!(
            store_faults >= least.store_faults,
            "store faults fired: {store_faults}"
        );
        assert!(
            ledger_faults >= least.ledger_faults,
            "ledger faults fired: {ledger_faults}"
        );
        for (what, least) in [
            ("abandoned mid-flight", least.abandoned),
            ("concurrent duplicate", least.duplicates),
            (self.race().as_str(), least.races),
        ] {
            assert!(stat(what) >= least, "{what}: {stats:?}");
        }
        assert!(
            kinds.get("done").copied().unwrap_or(0) >= least.done,
            "{kinds:?}"
        );

        // Invariants, from the store's own state.
        assert_eq!(unsettled, 0, "every request settles once the faults stop");
        let answers = |rid: &str| -> Vec<(u64, Seen<A::Done>)> {
            seen.iter()
                .filter(|(_, r, _)| r == rid)
                .map(|(n, _, s)| (*n, s.clone()))
                .collect()
        };
        for (rid, writes) in &held {
            assert_eq!(
                writes.len(),
                1,
                "request {rid} written more than once: {writes:?}; answers {:?}; {premise}",
                answers(rid)
            );
        }
        // Every answer an agent saw was true.
        for f in &forms {
            let told = answers(&f.rid);
            let behind = held.get(&f.rid).cloned().unwrap_or_default();
            match last_of(&seen, &f.rid) {
                Some(Seen::Done(done)) => {
                    assert_eq!(
                        behind.len(),
                        1,
                        "{}: done, with {behind:?} behind it; {premise}",
                        f.path
                    );
                    self.action.told_true(f, &done, &behind[0], &premise);
                    for (_, a) in &told {
                        if let Seen::Done(other) = a {
                            assert_eq!(other, &done, "{}: every done answer said the same", f.path);
                        }
                    }
                }
                Some(Seen::Nothing) => {
                    assert!(
                        behind.is_empty(),
                        "{}: told nothing changed, but {behind:?}; answers {told:?}; {premise}",
                        f.path
                    );
                    assert!(
                        !told.iter().any(|(_, a)| matches!(a, Seen::Done(_))),
                        "{}: done, then nothing",
                        f.path
                    );
                }
                Some(other) => panic!("{}: still {other:?}", f.path),
                None => assert!(
                    behind.is_empty(),
                    "{}: never submitted, yet written",
                    f.path
                ),
            }
        }
        assert!(
            !served_writes(&log, self.plan.write).is_empty(),
            "premise: the store's log shows the writes on {} that the late-write check reads",
            self.plan.write
        );
        // Premise: every write landed before the engine could settle it (a write gives up at
        // least `min_write_budget` after it is sent, and is settled `settle_after` later), so a
        // broken invariant above is the code's. chaos_timing leaves 300 + 800 ms, less the
        // 700 ms a late commit is injected with, for the store's own lag (measured at most
        // 57 ms: seeds 1 to 40 of `replacement_chaos` beside a second chaos loop on 2 shared
        // cores, 2026-12-05).
        assert!(late.is_empty(), "{premise}");
        assert!(
            self.started.elapsed() < Duration::from_secs(120),
            "the chaos run must stay under 2 minutes in CI"
        );
        End {
            forms,
            seen,
            stats,
            held,
            premise,
        }
    }
}
