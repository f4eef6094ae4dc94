//! What the action functions share: the skeleton every action's request goes through
//! (authentication, routing of the form and submit paths, the managers' switch), the BigCommerce
//! client an action gets (with the engine's deadline and write budget), the marker search the
//! engine settles other requests with, and running a submit under the engine.

use crate::actions::fields;
use crate::actions::ledger::Ledger;
use crate::actions::once::{self, Look, Looked, Outcome, Scope};
use crate::app::{ActionApp, App};
use crate::bigcommerce::{Client, WriteBudget};
use crate::config::StoreConfig;
use crate::guardrails::{ActionKind, Guardrails};
use crate::http::{outcome_response, ApiError, Incoming};
use crate::ids::{OrderId, RequestId};
use crate::storefront::StoreFacts;
use lambda_http::{Body, Response};
use std::future::Future;
use std::sync::Arc;
use tokio::time::Instant;

/// One action's two routes, as the skeleton finds and guards them.
pub struct ActionDef<T> {
    /// The function's name, for its log lines.
    pub function: &'static str,
    /// `orders` or `customers`.
    pub collection: &'static str,
    /// The path segment: `refund`, `gift-certificate`, ...
    pub action: &'static str,
    pub kind: ActionKind,
    pub parse: fn(&str) -> Option<T>,
    /// What a bad id is told.
    pub what: &'static str,
}

/// Every action request: authentication first (nothing else answers an unsigned request), then
/// the route, then the managers' switch; the form or the submit is the action's own code.
pub async fn serve<L, T, F, FF, S, SF>(
    app: &ActionApp<L>,
    req: lambda_http::Request,
    def: &ActionDef<T>,
    form: F,
    submit: S,
) -> Response<Body>
where
    L: Ledger,
    F: FnOnce(StoreConfig, T) -> FF,
    FF: Future<Output = Result<Response<Body>, ApiError>>,
    S: FnOnce(StoreConfig, T, RequestId, Vec<u8>, Instant) -> SF,
    SF: Future<Output = Result<Response<Body>, ApiError>>,
{
    let started = Instant::now();
    let inc = Incoming::from_request(req);
    let run = async {
        let cfg = app
            .app
            .admit(&inc, started + crate::app::LOOKUP_DEADLINE)
            .await?;
        let route = action_route(&inc, def.collection, def.action, def.parse, def.what)?;
        if let Some(off) = switched_off(&cfg, def.kind) {
            return Ok(off);
        }
        match route {
            ActionRoute::Form(id) => form(cfg, id).await,
            ActionRoute::Submit(id, rid) => submit(cfg, id, rid, inc.body.clone(), started).await,
        }
    };
    super::respond(def.function, &inc, run).await
}

/// A client for one action: its deadline comes from the engine, its writes from the timing.
pub fn action_client<L>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    deadline: Instant,
) -> Result<Client, Outcome> {
    let t = &app.timing;
    app.app
        .client(cfg, deadline)
        .map(|c| {
            c.with_writes(WriteBudget {
                timeout: t.write_timeout,
                min_left: t.min_write_budget,
            })
        })
        .map_err(|e| {
            tracing::error!(error = %e, "BigCommerce client");
            Outcome::refused(
                "The integration is misconfigured; nothing was changed.",
                "Ask the store admin to check the store secret.",
            )
        })
}

/// Runs an action's BigCommerce work with a client for `cfg`. If BigCommerce refused the token
/// (401, so the call it refused did nothing), the store secret is refetched once (the token
/// may have been rotated since the form opened) and the work runs again with the fresh token;
/// `act`'s flag says whether to look for an earlier attempt's marker first, which it must when
/// a write of the first run may have landed before the refusal.
async fn act_with_fresh_token<L, F, Fut>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    deadline: Instant,
    settle: bool,
    act: F,
) -> Outcome
where
    F: Fn(Client, bool) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let store = match action_client(app, cfg, deadline) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let outcome = Box::pin(act(store.clone(), settle)).await;
    if !store.token_refused() {
        return outcome;
    }
    tracing::warn!(
        "BigCommerce refused the token; refetching the store secret and trying once more"
    );
    let fresh = match app.app.store_config(true, deadline).await {
        Ok(c) => c,
        Err(_) => return outcome,
    };
    match action_client(app, &fresh, deadline) {
        Ok(s) => Box::pin(act(s, settle || store.wrote())).await,
        Err(o) => o,
    }
}

/// The engine's marker search, against this store.
pub struct StoreLook<'a> {
    pub app: &'a App,
    pub cfg: &'a StoreConfig,
}

impl Look for StoreLook<'_> {
    async fn look(&self, scope: &Scope, id: &RequestId, deadline: Instant) -> Looked {
        match self.app.client(self.cfg, deadline) {
            Ok(c) => crate::actions::look(&c, scope, id).await,
            Err(e) => Looked::Unknown(e.to_string()),
        }
    }
}

/// The 406 for an action the managers switched off (`actions` in the store secret).
pub fn switched_off(cfg: &StoreConfig, kind: ActionKind) -> Option<Response<Body>> {
    (!cfg.guardrails.allows(kind)).then(|| {
        outcome_response(&Outcome::refused(
            Guardrails::off(kind),
            "Ask the store's managers if it should be offered.",
        ))
    })
}

/// Runs a submit exactly once under the engine, its BigCommerce work (`act`, as
/// [`act_with_fresh_token`] runs it) within the engine's turn, and logs what it answered.
pub async fn submit_once<L, F, Fut>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    started: Instant,
    id: &RequestId,
    scope: &Scope,
    act: F,
) -> Response<Body>
where
    L: Ledger,
    F: Fn(Client, bool) -> Fut,
    Fut: Future<Output = Outcome>,
{
    // A request that already has a final answer gets it back from the claim itself.
    let looker = StoreLook { app: &app.app, cfg };
    let outcome = once::once(
        &app.ledger,
        &app.timing,
        started,
        id,
        scope,
        &looker,
        |turn| act_with_fresh_token(app, cfg, turn.deadline, turn.settle, act),
    )
    .await;
    let kind = scope.kind();
    crate::telemetry::action(kind, outcome.kind());
    // An order that may have changed is never shown from the cache as it was before.
    if scope.order().is_some()
        && matches!(
            outcome,
            Outcome::Done { .. } | Outcome::Partial { .. } | Outcome::Uncertain { .. }
        )
    {
        if let Some(table) = &app.app.cache {
            crate::cache::mark_changed(
                table,
                &cfg.store_hash,
                chrono::Utc::now().timestamp_millis(),
            )
            .await;
        }
    }
    // The audit line: what changed, with the marker it left at BigCommerce. The message names
    // amounts, orders and codes, never the shopper (details, which may quote agent notes or
    // addresses, stay out).
    if let Outcome::Done { message, .. } | Outcome::Partial { message, .. } = &outcome {
        tracing::info!(
            audit = true,
            action = kind,
            order = scope.order().map(|o| o.0),
            marker = %crate::actions::outcomes::marker(id),
            what = %crate::mapping::mask::emails_in(message),
            "audit"
        );
    }
    tracing::info!(
        action = kind,
        order = scope.order().map(|o| o.0),
        request = id.short(),
        outcome = outcome.kind(),
        "action answered"
    );
    outcome_response(&outcome)
}

/// Before a form opens on an order, what was unsettled on it is settled, and `Ok` has the notes
/// the form shows about it; `Err` is the answer when it cannot be yet (the form would show
/// amounts an earlier attempt may still change).
pub async fn settle_before_form<L: Ledger>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    order: OrderId,
) -> Result<Vec<String>, Response<Body>> {
    let looker = StoreLook { app: &app.app, cfg };
    let deadline = Instant::now() + crate::app::LOOKUP_DEADLINE;
    once::settle_open(&app.ledger, &app.timing, order, &looker, deadline)
        .await
        .map(|settled| fields::settled_notes(&settled))
        .map_err(|o| outcome_response(&o))
}

/// Which half of an action a request is.
pub enum ActionRoute<T> {
    /// `GET …/{collection}/{id}/{action}`
    Form(T),
    /// `POST …/{collection}/{id}/{action}/{requestId}`
    Submit(T, RequestId),
}

/// Routes the two paths every action has; `parse` reads the id, `what` explains a bad one.
pub fn action_route<T>(
    inc: &Incoming,
    collection: &str,
    action: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<ActionRoute<T>, ApiError> {
    let seg = inc.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let id = |raw: &str| {
        parse(raw).ok_or_else(|| ApiError::BadRequest {
            message: "invalid id".into(),
            detail: what.into(),
        })
    };
    let placeholder = if collection == "orders" {
        "{orderId}"
    } else {
        "{customerId}"
    };
    let prefix = if seg.first() == Some(&"lookup") {
        "/lookup"
    } else {
        ""
    };
    let template = |submit: bool| {
        let rid = if submit { "/{requestId}" } else { "" };
        format!(
            "{} {prefix}/{collection}/{placeholder}/{action}{rid}",
            inc.method
        )
    };
    let no_route = || ApiError::NotFound("no such route".into());
    match (inc.method.as_str(), seg.as_slice()) {
        ("GET", [.., c, raw, a]) if *c == collection && *a == action => {
            crate::telemetry::route(template(false));
            Ok(ActionRoute::Form(id(raw)?))
        }
        ("POST", [.., c, raw, a, rid]) if *c == collection && *a == action => {
            crate::telemetry::route(template(true));
            match RequestId::parse(rid) {
                Some(rid) => Ok(ActionRoute::Submit(id(raw)?, rid)),
                None => Err(no_route()),
            }
        }
        (m, [.., c, _, a]) | (m, [.., c, _, a, _])
            if *c == collection && *a == action && m != "GET" && m != "POST" =>
        {
            Err(ApiError::MethodNotAllowed)
        }
        _ => Err(no_route()),
    }
}

/// The store's facts (cached per container); defaults if BigCommerce cannot be asked.
pub async fn store_facts<L: Ledger>(app: &ActionApp<L>, cfg: &StoreConfig) -> Arc<StoreFacts> {
    let until = crate::app::deadline();
    match app.app.client(cfg, until) {
        Ok(client) => {
            app.app
                .store_facts
                .get(&client, cfg.default_phone_region, until)
                .await
        }
        Err(_) => Arc::new(StoreFacts::default()),
    }
}
