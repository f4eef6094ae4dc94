//! What a store is: its country (phone region), default currency, time zone and storefronts
//! (BigCommerce Multi-Storefront channels with their site URLs). Read once per container
//! (`GET /v2/store`, `/v3/channels`, `/v3/sites`, side by side) and kept, like product images.

use crate::bigcommerce::models::{Channel, Site, StoreInformation};
use crate::bigcommerce::{BcError, Store};
use crate::mapping::phone::Region;
use crate::money::Currency;
use chrono::{DateTime, FixedOffset, Offset, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// Store settings change rarely; an hour-old copy is fine.
const TTL: Duration = Duration::from_secs(3600);
/// After a failed read, defaults serve this long before BigCommerce is asked again.
const RETRY_AFTER: Duration = Duration::from_secs(60);
/// The most of a lookup's time the store's settings may take: a slow `/v2/store` must leave the
/// lookup itself time to answer.
const READ_BUDGET: Duration = Duration::from_millis(1500);

/// One storefront a shopper can buy on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storefront {
    pub channel_id: u64,
    pub name: String,
    /// The storefront's own site, for links the shopper can open.
    pub url: Option<Url>,
}

/// The store's settings the mapping and the forms use.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreFacts {
    /// ISO 3166 alpha-2, empty when unknown.
    pub country_code: String,
    /// Numbers without a country code belong here.
    pub phone_region: Region,
    pub currency: Currency,
    /// Standard-time offset of the store's time zone, and its name (`Europe/London`).
    pub utc_offset: FixedOffset,
    pub timezone: String,
    pub default_channel_id: u64,
    /// Storefront channels (`type` storefront), by id; empty when the store has none to tell.
    pub storefronts: Vec<Storefront>,
    /// The store's name, and the address its emails come from (`order_email`, else
    /// `admin_email`): a gift certificate's sender unless the secret names one.
    pub name: String,
    pub sender_email: Option<String>,
}

impl Default for StoreFacts {
    /// What a store that could not be read is taken to be: one US storefront, UTC.
    fn default() -> Self {
        Self {
            country_code: String::new(),
            phone_region: Region::us(),
            currency: Currency::usd(),
            utc_offset: Utc.fix(),
            timezone: "UTC".into(),
            default_channel_id: 1,
            storefronts: Vec::new(),
            name: String::new(),
            sender_email: None,
        }
    }
}

impl StoreFacts {
    /// From BigCommerce's answers; `region_override` is the secret's `default_phone_region`.
    pub fn from_parts(
        info: &StoreInformation,
        channels: &[Channel],
        sites: &[Site],
        region_override: Option<Region>,
    ) -> Self {
        let d = Self::default();
        let country_code = info.country_code.trim().to_ascii_uppercase();
        let phone_region = region_override
            .or_else(|| Region::new(&country_code))
            .unwrap_or(d.phone_region);
        let offset = i32::try_from(info.timezone.raw_offset)
            .ok()
            .and_then(FixedOffset::east_opt)
            .unwrap_or(d.utc_offset);
        let timezone = if info.timezone.name.trim().is_empty() {
            d.timezone
        } else {
            info.timezone.name.trim().to_string()
        };
        let storefronts = channels
            .iter()
            .filter(|c| c.r#type.is_empty() || c.r#type.eq_ignore_ascii_case("storefront"))
            .filter(|c| !c.status.eq_ignore_ascii_case("deleted"))
            .map(|c| Storefront {
                channel_id: c.id,
                name: c.name.trim().to_string(),
                url: sites
                    .iter()
                    .filter(|s| s.channel_id == c.id)
                    .find_map(|s| site_url(&s.url)),
            })
            .collect();
        Self {
            country_code,
            phone_region,
            currency: Currency::new(&info.currency).unwrap_or(d.currency),
            utc_offset: offset,
            timezone,
            default_channel_id: if info.default_channel_id > 0 {
                info.default_channel_id
            } else {
                d.default_channel_id
            },
            storefronts,
            name: info.name.trim().to_string(),
            sender_email: [&info.order_email, &info.admin_email]
                .into_iter()
                .map(|e| e.trim().to_ascii_lowercase())
                .find(|e| crate::ids::looks_like_email(e)),
        }
    }

    /// Whether cards should name the storefront: the store sells on more than one.
    pub fn multi_storefront(&self) -> bool {
        self.storefronts.len() > 1
    }

    pub fn storefront(&self, channel_id: u64) -> Option<&Storefront> {
        let id = if channel_id == 0 {
            self.default_channel_id
        } else {
            channel_id
        };
        self.storefronts.iter().find(|s| s.channel_id == id)
    }

    /// A date for people to read, in the store's time: `2026-12-26 14:05 (UTC+01:00, Europe/Paris)`.
    /// Standard time: BigCommerce gives the zone's offsets, not its daylight-saving rules.
    pub fn local_text(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.utc_offset);
        format!(
            "{} (UTC{}, {})",
            local.format("%Y-%m-%d %H:%M"),
            local.format("%:z"),
            self.timezone
        )
    }

    /// A day for people to read, in the store's time: `2026-12-26`.
    pub fn local_day(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.utc_offset)
            .format("%Y-%m-%d")
            .to_string()
    }
}

/// A site URL as an origin with a trailing slash, so `join` keeps its path.
fn site_url(raw: &str) -> Option<Url> {
    let raw = raw.trim();
    let with_scheme = if raw.starts_with("http://") || raw.starts_with("https://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let mut u = Url::parse(&with_scheme).ok()?;
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Some(u)
}

/// The store's customer group names by id.
pub type GroupNames = HashMap<u64, String>;

/// Group names as last read (`None`: the read failed), when, and for how long they serve.
type KeptGroups = (Option<Arc<GroupNames>>, Instant, Duration);

/// The store's facts, kept per container; and its customer group names, read only by DETAILED
/// lookups (`None`: the list could not be read).
#[derive(Debug, Default)]
pub struct StoreFactsCache {
    entry: Mutex<Option<(Arc<StoreFacts>, Instant, Duration)>>,
    groups: Mutex<Option<KeptGroups>>,
}

impl StoreFactsCache {
    fn cached(&self, region_override: Option<Region>) -> Option<Arc<StoreFacts>> {
        let e = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        e.as_ref()
            .filter(|(_, at, ttl)| at.elapsed() < *ttl)
            .map(|(f, _, _)| f.clone())
            .map(|f| with_region(f, region_override))
    }

    fn keep(&self, facts: Arc<StoreFacts>, ttl: Duration) {
        let mut e = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        *e = Some((facts, Instant::now(), ttl));
    }

    /// The store's facts, from the cache or from BigCommerce (three calls side by side). A
    /// failed read answers defaults, logged, and is tried again a minute later; a channel or
    /// site list that fails only costs the storefront names and links.
    pub async fn get<S: Store>(
        &self,
        store: &S,
        region_override: Option<Region>,
        deadline: tokio::time::Instant,
    ) -> Arc<StoreFacts> {
        if let Some(f) = self.cached(region_override) {
            return f;
        }
        let all =
            async { tokio::join!(store.store_information(), store.channels(), store.sites()) };
        let until = deadline.min(tokio::time::Instant::now() + READ_BUDGET);
        let (info, channels, sites) = match tokio::time::timeout_at(until, all).await {
            Ok(answers) => answers,
            Err(_) => (
                Err(BcError::Timeout),
                Err(BcError::Timeout),
                Err(BcError::Timeout),
            ),
        };
        let failed = info.is_err() || channels.is_err() || sites.is_err();
        for (what, e) in [
            ("store profile", info.as_ref().err()),
            ("channels", channels.as_ref().err()),
            ("sites", sites.as_ref().err()),
        ] {
            if let Some(e) = e {
                tracing::warn!(error = %e, "{what} unavailable; using defaults for now");
            }
        }
        let facts = Arc::new(StoreFacts::from_parts(
            &info.unwrap_or_default(),
            &channels.unwrap_or_default(),
            &sites.unwrap_or_default(),
            None,
        ));
        self.keep(facts.clone(), if failed { RETRY_AFTER } else { TTL });
        with_region(facts, region_override)
    }
}

impl StoreFactsCache {
    /// The store's customer group names (`GET /v2/customer_groups`, every page), kept an hour;
    /// after a failed read, `None` for a minute before BigCommerce is asked again.
    pub async fn group_names<S: Store>(
        &self,
        store: &S,
        deadline: tokio::time::Instant,
    ) -> Option<Arc<GroupNames>> {
        {
            let kept = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((names, at, ttl)) = kept.as_ref() {
                if at.elapsed() < *ttl {
                    return names.clone();
                }
            }
        }
        let until = deadline.min(tokio::time::Instant::now() + READ_BUDGET);
        let read = tokio::time::timeout_at(until, store.customer_groups())
            .await
            .unwrap_or(Err(BcError::Timeout));
        let (names, ttl) = match read {
            Ok(list) => (
                Some(Arc::new(
                    list.into_iter()
                        .map(|g| (g.id, g.name))
                        .collect::<GroupNames>(),
                )),
                TTL,
            ),
            Err(e) => {
                tracing::warn!(error = %e, "customer groups unavailable; customerGroup left out for now");
                crate::telemetry::left_out("customer groups");
                (None, RETRY_AFTER)
            }
        };
        let mut kept = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        *kept = Some((names.clone(), Instant::now(), ttl));
        names
    }
}

fn with_region(facts: Arc<StoreFacts>, region_override: Option<Region>) -> Arc<StoreFacts> {
    match region_override {
        Some(r) if r != facts.phone_region => {
            let mut f = (*facts).clone();
            f.phone_region = r;
            Arc::new(f)
        }
        _ => facts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bigcommerce::models::StoreTimezone;

    fn info() -> StoreInformation {
        StoreInformation {
            name: "Shop".into(),
            country_code: "gb".into(),
            currency: "GBP".into(),
            secure_url: "https://shop.example.co.uk".into(),
            order_email: " ".into(),
            admin_email: "Owner@Shop.example.co.uk".into(),
            timezone: StoreTimezone {
                name: "Asia/Kolkata".into(),
                raw_offset: 19800,
            },
            default_channel_id: 1,
        }
    }

    fn channel(id: u64, name: &str, kind: &str) -> Channel {
        Channel {
            id,
            name: name.into(),
            r#type: kind.into(),
            status: "active".into(),
        }
    }

    #[test]
    fn the_store_country_currency_zone_and_storefronts() {
        let channels = [
            channel(1, "UK shop", "storefront"),
            channel(2, "EU shop", "storefront"),
            channel(3, "Amazon", "marketplace"),
        ];
        let sites = [
            Site {
                channel_id: 1,
                url: "https://shop.example.co.uk".into(),
            },
            Site {
                channel_id: 2,
                url: "eu.example.com/store".into(),
            },
        ];
        let f = StoreFacts::from_parts(&info(), &channels, &sites, None);
        assert_eq!(f.phone_region.code(), "GB");
        assert_eq!(f.name, "Shop");
        assert_eq!(
            f.sender_email.as_deref(),
            Some("owner@shop.example.co.uk"),
            "a blank order_email gives way to admin_email"
        );
        assert_eq!(f.currency.code(), "GBP");
        assert!(
            f.multi_storefront(),
            "two storefronts; a marketplace is none"
        );
        assert_eq!(f.storefronts.len(), 2);
        assert_eq!(
            f.storefront(2)
                .and_then(|s| s.url.as_ref())
                .map(Url::as_str),
            Some("https://eu.example.com/store/")
        );
        assert_eq!(f.storefront(0).map(|s| s.name.as_str()), Some("UK shop"));
        assert!(f.storefront(3).is_none());
        let at = DateTime::parse_from_rfc3339("2026-11-26T20:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            f.local_text(at),
            "2026-11-27 01:30 (UTC+05:30, Asia/Kolkata)"
        );
        assert_eq!(f.local_day(at), "2026-11-27", "already tomorrow there");

        let over = StoreFacts::from_parts(&info(), &[], &[], Region::new("IN"));
        assert_eq!(over.phone_region.code(), "IN", "the secret's region wins");
        assert!(!over.multi_storefront());
    }

    #[test]
    fn a_store_that_says_nothing_is_one_us_storefront_in_utc() {
        let f = StoreFacts::from_parts(&StoreInformation::default(), &[], &[], None);
        assert_eq!(f, StoreFacts::default());
        assert_eq!(f.phone_region, Region::us());
        assert_eq!(f.currency.code(), "USD");
        assert_eq!(f.utc_offset.local_minus_utc(), 0);
        let mut odd = info();
        odd.timezone.raw_offset = 10_000_000;
        odd.currency = "dollars".into();
        odd.country_code = "XX".into();
        let f = StoreFacts::from_parts(&odd, &[], &[], None);
        assert_eq!(
            (
                f.utc_offset.local_minus_utc(),
                f.currency.code(),
                f.phone_region
            ),
            (0, "USD", Region::us())
        );
    }
}
