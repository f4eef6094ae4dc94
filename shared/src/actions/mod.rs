//! Agent actions, one folder each (`cancel/`, `refund/`, `discount/`: its form, input, policy
//! and run), on the exactly-once engine (`once`, over `ledger`) and a shared toolkit (`fields`
//! for forms and input, `amount`, `outcomes`, `order`). Also the action links the DETAILED
//! lookup shows.

pub mod amount;
pub mod cancel;
pub mod discount;
pub mod fields;
pub mod ledger;
pub mod once;
pub mod order;
pub mod outcomes;
pub mod refund;

use crate::bigcommerce::models::Order;
use crate::bigcommerce::StoreActions;
use crate::gladly::Action;
use crate::ids::{RequestId, ShopperId};
use crate::lookup::Actions;
use rust_decimal::Decimal;

/// The links this deployment serves: cancel and refund where the order allows them, and a
/// discount code on every profile.
pub struct StandardActions;

impl Actions for StandardActions {
    fn order_actions(&self, o: &Order) -> Vec<Action> {
        let mut out = Vec::new();
        if let Ok(plan) = cancel::policy::cancel_plan(o) {
            out.push(Action {
                name: plan.label().to_string(),
                form_url: format!("/orders/{}/cancel", o.id),
            });
        }
        // The v2 refunded amount is only a hint; the form itself reads the refunds.
        if refund::policy::refund_allowed(o).is_ok()
            && o.total_inc_tax - o.refunded_amount > Decimal::ZERO
        {
            out.push(Action {
                name: "Refund".to_string(),
                form_url: format!("/orders/{}/refund", o.id),
            });
        }
        out
    }

    fn profile_actions(&self, shopper: &ShopperId) -> Vec<Action> {
        vec![Action {
            name: "Create discount code".to_string(),
            form_url: format!(
                "/customers/{}/discount",
                fields::path_segment(&shopper.to_string())
            ),
        }]
    }
}

/// What request `id` did at BigCommerce, changing nothing: the engine's settle step, by scope.
pub async fn look<S: StoreActions>(store: &S, scope: &once::Scope, id: &RequestId) -> once::Looked {
    match scope {
        once::Scope::Refund(order) => refund::run::look(store, *order, id).await,
        once::Scope::Cancel(order) => cancel::run::look(store, *order, id).await,
        once::Scope::Discount(_) => discount::run::look(store, id).await,
    }
}
