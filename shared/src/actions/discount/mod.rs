//! A discount code for the shopper: `GET /customers/{id}/discount`,
//! `POST /customers/{id}/discount/{requestId}`.

pub mod form;
pub mod input;
pub mod policy;
pub mod run;

use super::action::{Action, Job, Opened};
use super::engine::{Looked, Outcome};
use super::fields::{self, FieldError};
use super::kind::{ActionKind, Spec};
use super::ledger::Ledger;
use crate::app::ActionApp;
use crate::bigcommerce::{CustomerQuery, Store, StoreActions};
use crate::config::StoreConfig;
use crate::http::ApiError;
use crate::ids::{RequestId, ShopperId};
use input::DiscountInput;

pub struct Discount;

impl Action for Discount {
    const KIND: ActionKind = ActionKind::Discount;
    const SPEC: Spec = Spec {
        key: "discount",
        segment: "discount",
        function: "create-discount",
        name: "discount code",
        noun: "discount code",
    };
    type Target = ShopperId;
    type Input = DiscountInput;

    fn offered(_: &ShopperId) -> Option<String> {
        Some("Create discount code".to_string())
    }

    async fn form<L: Ledger>(
        app: &ActionApp<L>,
        cfg: StoreConfig,
        who: ShopperId,
    ) -> Result<Opened, ApiError> {
        let mut form = form::discount_form(&who, &fields::new_request_id());
        let storefronts = shopper_storefronts(app, &cfg, &who).await;
        form::add_storefront_choice(&mut form, &storefronts);
        Ok(Opened::Form(form))
    }

    /// The form, with the store's UTC offset and the storefronts' names.
    async fn input<L: Ledger>(
        app: &ActionApp<L>,
        cfg: &StoreConfig,
        body: &[u8],
    ) -> Result<DiscountInput, Outcome> {
        let mut wanted = input::parse(body).map_err(Outcome::invalid)?;
        let facts = app.store_facts(cfg).await;
        wanted.store_utc_offset = facts.utc_offset;
        for (id, name) in &mut wanted.storefronts {
            match facts.storefront(*id) {
                Some(s) => name.clone_from(&s.name),
                None => {
                    return Err(Outcome::invalid(vec![FieldError {
                        attr: "storefronts".into(),
                        code: "invalid".into(),
                        detail: format!(
                            "This store has no storefront {id}; pick one from the list"
                        ),
                    }]))
                }
            }
        }
        Ok(wanted)
    }

    async fn submit<S: StoreActions, L: Ledger>(
        job: Job<'_, S, L>,
        shopper: &ShopperId,
        wanted: &DiscountInput,
    ) -> Outcome {
        run::discount(
            job.store,
            shopper,
            wanted,
            job.rails,
            job.request,
            job.codes,
        )
        .await
    }

    async fn look<S: StoreActions>(
        store: &S,
        _: &ShopperId,
        request: &RequestId,
        codes: crate::actions::codes::Codes,
    ) -> Looked {
        run::look(store, request, codes).await
    }
}

/// The storefronts a discount for this shopper can be limited to, as (channel id, name): a
/// registered customer's own (their `channel_ids`), a guest's any. Empty for a store with one
/// storefront, where the form offers no choice.
async fn shopper_storefronts<L: Ledger>(
    app: &ActionApp<L>,
    cfg: &StoreConfig,
    who: &ShopperId,
) -> Vec<(u64, String)> {
    let facts = app.store_facts(cfg).await;
    if !facts.multi_storefront() {
        return Vec::new();
    }
    let all = || {
        facts
            .storefronts
            .iter()
            .map(|s| (s.channel_id, s.name.clone()))
            .collect::<Vec<_>>()
    };
    let ShopperId::Registered(id) = who else {
        return all();
    };
    let until = crate::app::deadline();
    let found = match app.app.client(cfg, until) {
        Ok(client) => client.customers(&CustomerQuery::Ids(vec![id.0])).await,
        Err(_) => return all(),
    };
    let channels: Vec<u64> = match found.as_deref() {
        Ok([c, ..]) if !c.channel_ids.is_empty() => c.channel_ids.clone(),
        Ok([c, ..]) if c.origin_channel_id > 0 => vec![c.origin_channel_id],
        Ok(_) => return all(),
        Err(e) => {
            tracing::warn!(error = %e, "customer's storefronts unavailable; offering all");
            return all();
        }
    };
    let mine: Vec<(u64, String)> = channels
        .iter()
        .filter_map(|id| facts.storefront(*id))
        .map(|s| (s.channel_id, s.name.clone()))
        .collect();
    if mine.is_empty() {
        all()
    } else {
        mine
    }
}
