//! Agent actions: decisions (`policy`), forms, submitted input (`input`, `amount`), the
//! exactly-once engine (`once`, over `ledger`), what each action does (`run`), and the action
//! links the DETAILED lookup shows.

pub mod amount;
pub mod forms;
pub mod input;
pub mod ledger;
pub mod once;
pub mod policy;
pub mod run;

use crate::bigcommerce::models::Order;
use crate::gladly::Action;
use crate::ids::ShopperId;
use crate::lookup::Actions;
use rust_decimal::Decimal;

/// The links this deployment serves: cancel and refund where the order allows them, and a
/// discount code on every profile.
pub struct StandardActions;

impl Actions for StandardActions {
    fn order_actions(&self, o: &Order) -> Vec<Action> {
        let mut out = Vec::new();
        if let Ok(plan) = policy::cancel_plan(o) {
            out.push(Action {
                name: plan.label().to_string(),
                form_url: format!("/orders/{}/cancel", o.id),
            });
        }
        // The v2 refunded amount is only a hint; the form itself reads the refunds.
        if policy::refund_allowed(o).is_ok() && o.total_inc_tax - o.refunded_amount > Decimal::ZERO
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
                forms::path_segment(&shopper.to_string())
            ),
        }]
    }
}
