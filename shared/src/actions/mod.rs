//! Agent actions, one folder each (`cancel/`, `refund/`, `discount/`: its form, input, policy
//! and run), on the exactly-once engine (`once`, over `ledger`) and a shared toolkit (`fields`
//! for forms and input, `amount`, `outcomes`, `order`). Also the action links the DETAILED
//! lookup shows.

pub mod address;
pub mod amount;
pub mod cancel;
pub mod discount;
pub mod fields;
pub mod gift_certificate;
pub mod ledger;
pub mod once;
pub mod order;
pub mod outcomes;
pub mod refund;
pub mod restock;

use crate::bigcommerce::models::Order;
use crate::bigcommerce::StoreActions;
use crate::gladly::Action;
use crate::guardrails::{ActionKind, Guardrails};
use crate::ids::{RequestId, ShopperId};
use crate::lookup::Actions;
use rust_decimal::Decimal;

/// The links this deployment serves, as the order's state and the managers' guardrails allow:
/// cancel, refund and address change on orders; a discount code and a gift certificate on every
/// profile.
pub struct StandardActions;

fn link(name: &str, form_url: String) -> Action {
    Action {
        name: name.to_string(),
        form_url,
    }
}

impl Actions for StandardActions {
    fn order_actions(&self, o: &Order, rails: &Guardrails) -> Vec<Action> {
        let mut out = Vec::new();
        if let Ok(plan) = cancel::policy::cancel_plan(o) {
            if rails.allows(ActionKind::Cancel) {
                out.push(link(plan.label(), format!("/orders/{}/cancel", o.id)));
            }
        }
        // The v2 refunded amount is only a hint; the form itself reads the refunds.
        if rails.allows(ActionKind::Refund)
            && refund::policy::refund_allowed(o).is_ok()
            && o.total_inc_tax - o.refunded_amount > Decimal::ZERO
        {
            out.push(link("Refund", format!("/orders/{}/refund", o.id)));
        }
        if rails.allows(ActionKind::Address) && address::policy::address_change_allowed(o).is_ok() {
            out.push(link("Change address", format!("/orders/{}/address", o.id)));
        }
        out
    }

    fn profile_actions(&self, shopper: &ShopperId, rails: &Guardrails) -> Vec<Action> {
        let seg = fields::path_segment(&shopper.to_string());
        let mut out = Vec::new();
        if rails.allows(ActionKind::Discount) {
            out.push(link(
                "Create discount code",
                format!("/customers/{seg}/discount"),
            ));
        }
        if rails.allows(ActionKind::GiftCertificate) {
            out.push(link(
                "Gift certificate",
                format!("/customers/{seg}/gift-certificate"),
            ));
        }
        out
    }
}

/// What request `id` did at BigCommerce, changing nothing: the engine's settle step, by scope.
pub async fn look<S: StoreActions>(store: &S, scope: &once::Scope, id: &RequestId) -> once::Looked {
    match scope {
        once::Scope::Refund(order) => refund::run::look(store, *order, id).await,
        once::Scope::Cancel(order) => cancel::run::look(store, *order, id).await,
        once::Scope::Address(order) => address::run::look(store, *order, id).await,
        once::Scope::Discount(_) => discount::run::look(store, id).await,
        once::Scope::GiftCertificate(_) => gift_certificate::run::look(store, id).await,
        // Never on an order's open list: a restock is settled by its own record only.
        once::Scope::Restock(_) => once::Looked::Unknown("a return to stock has no marker".into()),
    }
}
