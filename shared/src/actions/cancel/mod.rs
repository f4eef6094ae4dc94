//! Cancel an order (releasing or refunding its payment first): `GET /orders/{id}/cancel`,
//! `POST /orders/{id}/cancel/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;

use super::action::{open_order_form, Action, Job, Opened, OrderForm};
use super::engine::{Looked, Outcome};
use super::fields;
use super::kind::{ActionKind, Spec};
use super::ledger::Ledger;
use super::refund::policy::Refundable;
use crate::app::ActionApp;
use crate::bigcommerce::models::Order;
use crate::bigcommerce::{Store, StoreActions};
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{OrderId, RequestId};
use policy::CancelPlan;

pub struct Cancel;

impl Action for Cancel {
    const KIND: ActionKind = ActionKind::Cancel;
    const SPEC: Spec = Spec {
        key: "cancel",
        segment: "cancel",
        function: "cancel-order",
        name: "cancel",
        noun: "cancellation",
    };
    type Target = OrderId;
    type Input = input::CancelInput;

    fn offered(o: &Order) -> Option<String> {
        policy::cancel_plan(o)
            .ok()
            .map(|plan| plan.label().to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        id: OrderId,
    ) -> Result<Opened, ApiError> {
        let restock_default = cfg.guardrails.restock_default;
        let reasons = input::reasons(&cfg.guardrails);
        let opened = open_order_form(app, cfg, id, move |store| async move {
            let Some(order) = store.order(id).await? else {
                return Ok((None, None));
            };
            let refunds = match policy::cancel_plan(&order) {
                Ok(CancelPlan::RefundThenCancel) => Some(store.refunds(id).await?),
                _ => None,
            };
            Ok((Some(order), refunds))
        })
        .await?;
        let OrderForm {
            earlier,
            order,
            read: refunds,
        } = match opened {
            Ok(f) => f,
            Err(o) => return Ok(Opened::Closed(o)),
        };
        let plan = match policy::cancel_plan(&order) {
            Ok(p) => p,
            Err(why) => {
                return Ok(Opened::Closed(Outcome::refused(
                    why,
                    fields::detail_or(&earlier, "The order was left unchanged."),
                )))
            }
        };
        let refundable = refunds.map(|r| Refundable::of(&order, &r));
        let form = form::cancel_form(
            id,
            plan,
            refundable.as_ref(),
            restock_default,
            &reasons,
            &fields::new_request_id(),
        );
        Ok(Opened::Form(fields::with_notes(form, &earlier)))
    }

    async fn input<L: Ledger>(
        _: &ActionApp<L>,
        cfg: &StoreConfig,
        body: &[u8],
    ) -> Result<input::CancelInput, Outcome> {
        input::parse(body, &input::reasons(&cfg.guardrails)).map_err(Outcome::invalid)
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        id: &OrderId,
        wanted: &input::CancelInput,
    ) -> Outcome {
        run::cancel(job, *id, wanted).await
    }

    async fn look<S: StoreActions>(
        store: &S,
        id: &OrderId,
        request: &RequestId,
        _: crate::actions::codes::Codes,
    ) -> Looked {
        run::look(store, *id, request).await
    }
}
