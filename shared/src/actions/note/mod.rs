//! Note an order for the store's team: `GET /orders/{id}/note`,
//! `POST /orders/{id}/note/{requestId}`; appended to the staff notes once, never replacing
//! what is there.

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
use crate::bigcommerce::{Store, StoreActions};
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{OrderId, RequestId};
use input::NoteInput;

pub struct Note;

impl Action for Note {
    const KIND: ActionKind = ActionKind::Note;
    const SPEC: Spec = Spec {
        key: "note",
        segment: "note",
        function: "add-order-note",
        name: "note",
        noun: "note",
    };
    type Target = OrderId;
    type Input = NoteInput;

    fn offered(o: &Order) -> Option<String> {
        policy::note_allowed(o)
            .is_ok()
            .then(|| "Add note".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        id: OrderId,
    ) -> Result<Opened, ApiError> {
        let opened = open_order_form(app, cfg, id, move |store| async move {
            Ok((store.order(id).await?, ()))
        })
        .await?;
        let OrderForm { earlier, order, .. } = match opened {
            Ok(f) => f,
            Err(o) => return Ok(Opened::Closed(o)),
        };
        if let Err(why) = policy::note_allowed(&order) {
            return Ok(Opened::Closed(Outcome::refused(
                why,
                fields::detail_or(&earlier, "Nothing was written."),
            )));
        }
        let form = form::note_form(id, &fields::new_request_id());
        Ok(Opened::Form(fields::with_notes(form, &earlier)))
    }

    async fn input<L: Ledger>(
        _: &ActionApp<L>,
        _: &StoreConfig,
        body: &[u8],
    ) -> Result<NoteInput, Outcome> {
        input::parse(body).map_err(Outcome::invalid)
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        id: &OrderId,
        note: &NoteInput,
    ) -> Outcome {
        run::add(job.store, *id, note, job.request, job.attempt).await
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
