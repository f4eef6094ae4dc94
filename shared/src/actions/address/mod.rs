//! Change an order's shipping address while nothing has shipped:
//! `GET /orders/{id}/address`, `POST /orders/{id}/address/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;

use super::action::{open_order_form, Action, Job, Opened, OrderForm};
use super::engine::{Looked, Outcome};
use super::fields;
use super::kind::{ActionKind, Spec};
use super::ledger::Ledger;
use crate::app::ActionApp;
use crate::bigcommerce::models::Order;
use crate::bigcommerce::requests::AddressPut;
use crate::bigcommerce::{Store, StoreActions};
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{OrderId, RequestId};

pub struct Address;

impl Action for Address {
    const KIND: ActionKind = ActionKind::Address;
    const SPEC: Spec = Spec {
        key: "address",
        segment: "address",
        function: "update-address",
        name: "address change",
        noun: "address change",
    };
    type Target = OrderId;
    type Input = AddressPut;

    fn offered(o: &Order) -> Option<String> {
        policy::address_change_allowed(o)
            .is_ok()
            .then(|| "Change address".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        id: OrderId,
    ) -> Result<Opened, ApiError> {
        let opened = open_order_form(app, cfg, id, move |store| async move {
            let (order, addresses) = tokio::join!(store.order(id), store.shipping_addresses(id));
            Ok((order?, addresses))
        })
        .await?;
        let OrderForm {
            earlier,
            order,
            read: addresses,
        } = match opened {
            Ok(f) => f,
            Err(o) => return Ok(Opened::Closed(o)),
        };
        if let Err(why) = policy::address_change_allowed(&order) {
            return Ok(Opened::Closed(Outcome::refused(
                why,
                fields::detail_or(&earlier, "The shipping address was left unchanged."),
            )));
        }
        let Some(now) = addresses?.into_iter().next() else {
            return Ok(Opened::Closed(Outcome::refused(
                format!("Order #{id} has no shipping address to change."),
                fields::detail_or(
                    &earlier,
                    "Nothing was changed; an order for pickup or a digital order ships nowhere.",
                ),
            )));
        };
        let form = form::address_form(id, &now, &fields::new_request_id());
        Ok(Opened::Form(fields::with_notes(form, &earlier)))
    }

    async fn input<L: Ledger>(
        _: &ActionApp<L>,
        _: &StoreConfig,
        body: &[u8],
    ) -> Result<AddressPut, Outcome> {
        input::parse(body).map_err(Outcome::invalid)
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        id: &OrderId,
        to: &AddressPut,
    ) -> Outcome {
        run::change(job.store, *id, to, job.request, job.attempt).await
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
