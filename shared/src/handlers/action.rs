//! The one handler of every action function, over an action's definition (`Action`):
//! authentication first (nothing else answers an unsigned request), then the route, then the
//! managers' switch; then the form, or the submit under the exactly-once engine.

use crate::actions::engine::{Outcome, Scope, Submit};
use crate::actions::ledger::Ledger;
use crate::actions::{Action, ActionTarget, Job, Opened};
use crate::app::{ActionApp, LOOKUP_DEADLINE};
use crate::config::StoreConfig;
use crate::guardrails::Guardrails;
use crate::http::{ok, outcome_response, ApiError, Incoming};
use crate::ids::RequestId;
use lambda_http::{Body, Request, Response};
use tokio::time::Instant;

pub async fn handle<A: Action, L: Ledger>(app: &ActionApp<L>, req: Request) -> Response<Body> {
    let started = Instant::now();
    let inc = Incoming::from_request(req);
    let run = async {
        let cfg = app.app.admit(&inc, started + LOOKUP_DEADLINE).await?;
        let route = route::<A>(&inc)?;
        if !cfg.guardrails.allows(A::KIND) {
            return Ok(outcome_response(&Outcome::refused(
                Guardrails::off(A::KIND),
                "Ask the store's managers if it should be offered.",
            )));
        }
        Ok(match route {
            Route::Form(target) => match A::form(app, cfg, target).await? {
                Opened::Form(form) => ok(&form),
                Opened::Closed(why) => outcome_response(&why),
            },
            Route::Submit(target, id) => {
                let outcome = submit::<A, L>(app, &cfg, target, &id, &inc.body, started).await;
                outcome_response(&outcome)
            }
        })
    };
    super::respond(A::SPEC.function, &inc, run).await
}

/// Runs a submit exactly once under the engine, its BigCommerce work within the engine's turn,
/// and logs what it answered.
async fn submit<A: Action, L: Ledger>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    target: A::Target,
    id: &RequestId,
    body: &[u8],
    started: Instant,
) -> Outcome {
    let input = match A::input(app, cfg, body).await {
        Ok(i) => i,
        Err(answer) => return answer,
    };
    let scope = Scope::Action(A::KIND, target.scoped());
    let (target, input, rails) = (&target, &input, &cfg.guardrails);
    // A request that already has a final answer gets it back from the claim itself.
    let submit = Submit {
        id,
        scope: &scope,
        started,
    };
    let outcome = app
        .engine(cfg)
        .run(submit, |turn| {
            app.act(cfg, turn, move |store, attempt| async move {
                let job = Job {
                    store: &store,
                    ledger: &app.ledger,
                    request: id,
                    attempt,
                    rails,
                    codes: turn.codes,
                };
                A::submit(job, target, input).await
            })
        })
        .await;
    after(app, cfg, &scope, id, &outcome).await;
    outcome
}

/// What follows every submit: its metric, the cache marked for an order that may have
/// changed, the audit line, and the log line of the answer.
async fn after<L: Ledger>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    scope: &Scope,
    id: &RequestId,
    outcome: &Outcome,
) {
    let kind = scope.kind();
    crate::telemetry::action(kind, outcome.kind());
    // An order or a balance that may have changed (every leased target: an order, a
    // customer's store credit) is never shown from the cache as it was before.
    let leased = scope.lease();
    if leased.is_some()
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
                matches!(leased, Some(crate::actions::engine::Target::Customer(_))),
            )
            .await;
        }
    }
    // The audit line: what changed, with the marker it left at BigCommerce and the reason the
    // agent picked. The message names amounts and orders, never the shopper (details, which
    // may quote agent notes or addresses, stay out), and a code only by its last four
    // characters: a code is money.
    if let Outcome::Done { message, .. } | Outcome::Partial { message, .. } = outcome {
        tracing::info!(
            audit = true,
            action = kind,
            order = scope.order().map(|o| o.0),
            marker = %crate::actions::outcomes::marker(id),
            reason = crate::telemetry::noted_reason().as_deref(),
            what = %crate::actions::codes::codes_in(&crate::mapping::mask::emails_in(message)),
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
}

/// Which half of an action a request is.
enum Route<T> {
    /// `GET …/{collection}/{id}/{segment}`
    Form(T),
    /// `POST …/{collection}/{id}/{segment}/{requestId}`
    Submit(T, RequestId),
}

/// Routes the two paths every action has, with or without the `/lookup` prefix.
fn route<A: Action>(inc: &Incoming) -> Result<Route<A::Target>, ApiError> {
    let routes = A::KIND.routes();
    let (collection, segment) = (routes.on.collection(), routes.segment);
    let seg = inc.segments();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    let id = |raw: &str| {
        A::Target::parse(raw).ok_or_else(|| ApiError::BadRequest {
            message: "invalid id".into(),
            detail: routes.on.what().into(),
        })
    };
    let prefix = if seg.first() == Some(&"lookup") {
        "/lookup"
    } else {
        ""
    };
    let no_route = || ApiError::NotFound("no such route".into());
    match (inc.method.as_str(), seg.as_slice()) {
        ("GET", [.., c, raw, a]) if *c == collection && *a == segment => {
            crate::telemetry::route(format!("{} {}", inc.method, routes.form(prefix)));
            Ok(Route::Form(id(raw)?))
        }
        ("POST", [.., c, raw, a, rid]) if *c == collection && *a == segment => {
            crate::telemetry::route(format!("{} {}", inc.method, routes.submit(prefix)));
            match RequestId::parse(rid) {
                Some(rid) => Ok(Route::Submit(id(raw)?, rid)),
                None => Err(no_route()),
            }
        }
        (m, [.., c, _, a]) | (m, [.., c, _, a, _])
            if *c == collection && *a == segment && m != "GET" && m != "POST" =>
        {
            Err(ApiError::MethodNotAllowed)
        }
        _ => Err(no_route()),
    }
}
