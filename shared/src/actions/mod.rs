//! Agent actions, one folder each (`cancel/`, `refund/`, `discount/`, `address/`,
//! `gift_certificate/`, `note/`, `replacement/`, `store_credit/`: its definition (`Action`), form, input, policy and run), listed once in
//! `kind`, on the exactly-once `engine` (over the `ledger`) and a shared toolkit (`fields` for
//! forms and input, `amount`, `outcomes`, `order`, `reasons`). Also the action links the DETAILED lookup
//! shows, and the engine's marker search, both from each action's definition.

pub mod action;
pub mod address;
pub mod amount;
pub mod cancel;
pub mod codes;
pub mod discount;
pub mod engine;
pub mod fields;
pub mod gift_certificate;
pub mod kind;
pub mod ledger;
pub mod limits;
pub mod note;
pub mod order;
pub mod outcomes;
pub mod reasons;
pub mod refund;
pub mod replacement;
pub mod restock;
pub mod store_credit;

pub use action::{Action, ActionTarget, Job, Opened, Seen};
pub use kind::{ActionKind, ForAction, On, Spec};

use crate::bigcommerce::models::Order;
use crate::bigcommerce::StoreActions;
use crate::gladly;
use crate::guardrails::Guardrails;
use crate::ids::{RequestId, ShopperId};
use crate::lookup::Actions;
use engine::{Looked, Scope, Target};
use std::future::Future;
use std::pin::Pin;

/// The links this deployment serves, as each action's definition, the order's state and the
/// managers' guardrails allow: cancel, refund, address change, a note and a replacement on
/// orders; a discount code and a gift certificate on every profile, store credit on a
/// registered shopper's.
pub struct StandardActions;

/// An action's link on what a lookup showed, if it offers one there.
struct LinkOn<'a> {
    seen: Seen<'a>,
    rails: &'a Guardrails,
}

impl ForAction for LinkOn<'_> {
    type Out = Option<gladly::Action>;
    fn with<A: Action>(self) -> Self::Out {
        let seen = A::Target::picked(self.seen)?;
        if !self.rails.allows(A::KIND) {
            return None;
        }
        let name = A::offered(seen)?;
        let target = A::Target::of(seen);
        let routes = A::KIND.routes();
        Some(gladly::Action {
            name,
            form_url: format!(
                "/{}/{}/{}",
                routes.on.collection(),
                target.path_segment(),
                routes.segment
            ),
        })
    }
}

fn links(seen: Seen<'_>, rails: &Guardrails) -> Vec<gladly::Action> {
    ActionKind::ALL
        .into_iter()
        .filter_map(|k| k.with(LinkOn { seen, rails }))
        .collect()
}

impl Actions for StandardActions {
    fn order_actions(&self, o: &Order, rails: &Guardrails) -> Vec<gladly::Action> {
        links(Seen::Order(o), rails)
    }

    fn profile_actions(&self, shopper: &ShopperId, rails: &Guardrails) -> Vec<gladly::Action> {
        links(Seen::Shopper(shopper), rails)
    }
}

type Looking<'a> = Pin<Box<dyn Future<Output = Looked> + Send + 'a>>;

/// An action's marker search for one request on its target.
struct LookFor<'a, S> {
    store: &'a S,
    target: &'a Target,
    id: &'a RequestId,
    codes: codes::Codes,
}

impl<'a, S: StoreActions> ForAction for LookFor<'a, S> {
    type Out = Looking<'a>;
    fn with<A: Action>(self) -> Looking<'a> {
        Box::pin(async move {
            match A::Target::from_scoped(self.target) {
                Some(t) => A::look(self.store, &t, self.id, self.codes).await,
                None => Looked::Unknown("the request's scope does not fit its action".into()),
            }
        })
    }
}

/// What request `id` did at BigCommerce, changing nothing: the engine's settle step, by scope.
pub async fn look<S: StoreActions>(
    store: &S,
    scope: &Scope,
    id: &RequestId,
    codes: codes::Codes,
) -> Looked {
    match scope {
        Scope::Action(kind, target) => {
            kind.with(LookFor {
                store,
                target,
                id,
                codes,
            })
            .await
        }
        // Never on an order's open list: a restock is settled by its own record only.
        Scope::Restock(_) => Looked::Unknown("a return to stock has no marker".into()),
    }
}
