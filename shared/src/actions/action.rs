//! One definition per action: what it is (`Spec`), what it is on (`Target`), its form, how a
//! submit is read and carried out, and how its marker is found. Each action implements it once,
//! in its own folder; the generic handler (`handlers::action`), the links of the DETAILED
//! lookup (`StandardActions`) and the engine's settle step all read it.

use super::codes::Codes;
use super::engine::{Attempt, Looked, Outcome, Target};
use super::fields;
use super::kind::{ActionKind, On, Spec};
use super::ledger::Ledger;
use crate::app::ActionApp;
use crate::bigcommerce::models::Order;
use crate::bigcommerce::StoreActions;
use crate::config::StoreConfig;
use crate::guardrails::Guardrails;
use crate::http::ApiError;
use crate::ids::{OrderId, RequestId, ShopperId};
use serde_json::Value;
use std::future::Future;

/// What a lookup showed, that an action's link may be offered on.
#[derive(Debug, Clone, Copy)]
pub enum Seen<'a> {
    Order(&'a Order),
    Shopper(&'a ShopperId),
}

/// The id in an action's path: an order's or a shopper's.
pub trait ActionTarget: Clone + Send + Sync + 'static {
    const ON: On;
    /// What the lookup shows the action's link on.
    type Seen;
    fn parse(raw: &str) -> Option<Self>;
    /// `Seen` when it is this kind of target's.
    fn picked<'a>(seen: Seen<'a>) -> Option<&'a Self::Seen>;
    fn of(seen: &Self::Seen) -> Self;
    /// As the engine's scope holds it.
    fn scoped(&self) -> Target;
    /// Back from the engine's scope, when it is this kind of target.
    fn from_scoped(t: &Target) -> Option<Self>;
    /// As it stands in a path (a shopper's percent-encoded).
    fn path_segment(&self) -> String;
}

impl ActionTarget for OrderId {
    const ON: On = On::Order;
    type Seen = Order;
    fn parse(raw: &str) -> Option<Self> {
        OrderId::parse(raw)
    }
    fn picked<'a>(seen: Seen<'a>) -> Option<&'a Order> {
        match seen {
            Seen::Order(o) => Some(o),
            Seen::Shopper(_) => None,
        }
    }
    fn of(seen: &Order) -> Self {
        seen.id
    }
    fn scoped(&self) -> Target {
        Target::Order(*self)
    }
    fn from_scoped(t: &Target) -> Option<Self> {
        match t {
            Target::Order(o) => Some(*o),
            Target::Customer(_) => None,
        }
    }
    fn path_segment(&self) -> String {
        self.to_string()
    }
}

impl ActionTarget for ShopperId {
    const ON: On = On::Customer;
    type Seen = ShopperId;
    fn parse(raw: &str) -> Option<Self> {
        ShopperId::parse(raw)
    }
    fn picked<'a>(seen: Seen<'a>) -> Option<&'a ShopperId> {
        match seen {
            Seen::Shopper(s) => Some(s),
            Seen::Order(_) => None,
        }
    }
    fn of(seen: &ShopperId) -> Self {
        seen.clone()
    }
    fn scoped(&self) -> Target {
        Target::Customer(self.clone())
    }
    fn from_scoped(t: &Target) -> Option<Self> {
        match t {
            Target::Customer(s) => Some(s.clone()),
            Target::Order(_) => None,
        }
    }
    fn path_segment(&self) -> String {
        fields::path_segment(&self.to_string())
    }
}

/// What an order's form opens on: the notes on what was settled before it, the order, and what
/// else the form read beside it.
pub struct OrderForm<T> {
    pub earlier: Vec<String>,
    pub order: Order,
    pub read: T,
}

/// The start every order form shares: settle what was open on the order (`Err`: the answer
/// while it cannot be yet), then read the order and whatever else `fetch` reads with it, within
/// a lookup's deadline; an order BigCommerce does not have is a 404.
pub async fn open_order_form<L, T, F, Fut>(
    app: &ActionApp<L>,
    cfg: StoreConfig,
    id: OrderId,
    fetch: F,
) -> Result<Result<OrderForm<T>, Outcome>, ApiError>
where
    L: Ledger,
    F: Fn(crate::bigcommerce::Client) -> Fut,
    Fut: Future<Output = Result<(Option<Order>, T), crate::bigcommerce::BcError>>,
{
    let earlier = match app.settle_before_form(&cfg, &Target::Order(id)).await {
        Ok(notes) => notes,
        Err(o) => return Ok(Err(o)),
    };
    let until = tokio::time::Instant::now() + crate::app::LOOKUP_DEADLINE;
    let (order, read) = app
        .app
        .with_store(cfg, until, |store, _| fetch(store))
        .await?;
    let order = order.ok_or_else(|| ApiError::NotFound(format!("order #{id} does not exist")))?;
    Ok(Ok(OrderForm {
        earlier,
        order,
        read,
    }))
}

/// What a form request answers: the form, or why it cannot open (an outcome, 406 or 400).
#[derive(Debug, Clone, PartialEq)]
pub enum Opened {
    Form(Value),
    Closed(Outcome),
}

/// What a submit's BigCommerce work gets from the engine.
pub struct Job<'a, S, L> {
    pub store: &'a S,
    pub ledger: &'a L,
    pub request: &'a RequestId,
    pub attempt: Attempt,
    pub rails: &'a Guardrails,
    /// What the request's codes are made from (`codes`).
    pub codes: Codes,
}

pub trait Action: Send + Sync + 'static {
    const KIND: ActionKind;
    const SPEC: Spec;
    type Target: ActionTarget;
    /// The submitted form as read before anything is claimed.
    type Input: Send + Sync;
    /// Whether submits on one target run one at a time under the target's lease, each settling
    /// what earlier requests left open on it first: every order action, and an action whose
    /// write is a read-modify-write of its target (store credit).
    const LEASED: bool = matches!(<Self::Target as ActionTarget>::ON, On::Order);

    /// The link's name on the lookup, if the action is offered on what it showed.
    fn offered(seen: &<Self::Target as ActionTarget>::Seen) -> Option<String>;

    /// `GET …/{target}/{segment}`: the form, or why it cannot open.
    fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        target: Self::Target,
    ) -> impl Future<Output = Result<Opened, ApiError>> + Send;

    /// Reads a submitted body; `Err` is the answer at once (nothing is claimed).
    fn input<L: Ledger>(
        app: &ActionApp<L>,
        cfg: &StoreConfig,
        body: &[u8],
    ) -> impl Future<Output = Result<Self::Input, Outcome>> + Send;

    /// The BigCommerce work of `POST …/{requestId}`, run by the engine at most once per request
    /// (and once more with a fresh token if BigCommerce refused the first).
    fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        target: &Self::Target,
        input: &Self::Input,
    ) -> impl Future<Output = Outcome> + Send;

    /// What request `id` did at BigCommerce, changing nothing (the engine's settle step);
    /// `codes` are what its claim keeps for the codes it made.
    fn look<S: StoreActions>(
        store: &S,
        target: &Self::Target,
        id: &RequestId,
        codes: Codes,
    ) -> impl Future<Output = Looked> + Send;
}
