//! BigCommerce records to Gladly profiles and ORDER cards: one module for both functions.

pub mod email;
pub mod mask;
pub mod order;
pub mod phone;
pub mod profile;
pub mod routing;

use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;
use url::Url;

/// What mapping needs besides the records themselves.
#[derive(Debug, Clone, Copy)]
pub struct MapContext<'a> {
    pub store_hash: &'a str,
    pub storefront_url: Option<&'a Url>,
    /// Product id to thumbnail URL.
    pub images: &'a HashMap<u64, String>,
    /// The store's storefronts and currency.
    pub facts: &'a crate::storefront::StoreFacts,
}

/// `2024-04-11T15:28:22Z`, the only date form Gladly's ORDER reader accepts.
pub fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Non-empty parts joined by ", ".
pub fn join_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}
