//! The integration tests of `shared`, in one binary (one link, one process, tests of every
//! module side by side): the real handlers against the sandbox store in-process and moto's
//! Secrets Manager and DynamoDB (`scripts/with-moto`, which `make test` uses), plus the pure
//! property, phone and currency tests that need neither.
//!
//! `harness` is the only module that names the app's assembly and the exactly-once engine's
//! types; every test module goes through it.

mod harness;

mod actions;
mod card;
mod chaos;
mod credit_chaos;
mod currencies;
mod directory;
mod edges;
mod guest_index;
mod hardening;
mod international;
mod limits;
mod logs;
mod lookups;
mod money;
mod more_actions;
mod notes;
mod phones;
mod properties;
mod quota;
mod reasons;
mod replacement_money;
mod replacements;
mod store_credit;
