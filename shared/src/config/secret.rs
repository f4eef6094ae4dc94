//! The store secret: a flat JSON object of strings, parsed once into a `StoreConfig`.

use super::ConfigError;
use crate::auth::{AuthKeys, BasicCredentials};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Mutex;
use url::Url;

pub const DEFAULT_API_BASE: &str = "https://api.bigcommerce.com";

/// One store's settings, from its secret.
#[derive(Clone)]
pub struct StoreConfig {
    pub store_hash: String,
    pub access_token: SecretString,
    pub auth: AuthKeys,
    pub api_base_url: Url,
    pub storefront_url: Option<Url>,
    pub guardrails: crate::guardrails::Guardrails,
    /// The country of phone numbers saved without a country code, when it is not the store's.
    pub default_phone_region: Option<crate::mapping::phone::Region>,
    /// The most of the store's API quota the adaptor may spend in a window.
    pub quota_share: crate::quota::Share,
    /// When the store's customers are kept by email, so that an auto-link costs no call.
    pub customer_directory: crate::cache::directory::Mode,
}

/// An optional setting of the secret: absent, null or blank is the default. A value `parse`
/// refuses is not worth refusing every request for: it is logged once (naming the key, saying
/// what it `must` be and which default is used) and the default is used.
fn setting<T: Default>(
    v: Option<&Value>,
    key: &str,
    must: &str,
    default_text: &str,
    warned: &Mutex<Option<String>>,
    parse: impl Fn(&str) -> Option<T>,
) -> T {
    let text = match v {
        None | Some(Value::Null) => return T::default(),
        Some(Value::String(s)) if s.trim().is_empty() => return T::default(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    parse(&text).unwrap_or_else(|| {
        let mut warned = warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.as_deref() != Some(text.as_str()) {
            tracing::error!(
                key,
                "the store secret's {key} must be {must}; using {default_text}"
            );
            *warned = Some(text);
        }
        T::default()
    })
}

/// `customer_directory`: `auto` (the default), `on` or `off`.
fn customer_directory(v: Option<&Value>) -> crate::cache::directory::Mode {
    static WARNED: Mutex<Option<String>> = Mutex::new(None);
    setting(
        v,
        "customer_directory",
        "auto, on or off",
        "auto",
        &WARNED,
        crate::cache::directory::Mode::parse,
    )
}

/// `quota_share`: a number above 0 and at most 1 (default 0.5).
fn quota_share(v: Option<&Value>) -> crate::quota::Share {
    use crate::quota::Share;
    static WARNED: Mutex<Option<String>> = Mutex::new(None);
    setting(
        v,
        "quota_share",
        "a number above 0 and at most 1",
        &Share::default().value().to_string(),
        &WARNED,
        Share::parse,
    )
}

/// `reasons` as the secret has it: absent or null is no list; an empty or malformed one is
/// named in `Err` (logged, and each form keeps its own list), never a refused secret.
fn merchant_reasons(
    v: Option<&Value>,
) -> Result<Option<crate::actions::reasons::MerchantReasons>, String> {
    use crate::actions::reasons::{MerchantReasons, MUST};
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => MerchantReasons::parse(s).map(Some),
        Some(_) => Err(MUST.into()),
    }
}

/// Limit keys whose value did not read: each logged once per container (naming the key, never
/// the value), while its default holds.
fn refused_limits(ignored: &[String]) {
    static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut logged = LOGGED.lock().unwrap_or_else(|e| e.into_inner());
    for why in ignored {
        if !logged.contains(why) {
            let key = why.split_whitespace().next().unwrap_or_default();
            tracing::error!(key, "the store secret's {why}");
            logged.push(why.clone());
        }
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("store_hash", &self.store_hash)
            .field("auth", &self.auth)
            .field("api_base_url", &self.api_base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl StoreConfig {
    /// Parses the secret's flat JSON object of strings. Errors name the key, never a value.
    pub fn from_secret(text: &str) -> Result<Self, ConfigError> {
        Self::from_secret_in(text, false)
    }

    /// As `from_secret`; `under_sam_local` (the function runs in `sam local`'s container) also
    /// lets plain http go to `host.docker.internal`, the machine running that container, where
    /// the sandbox store listens.
    pub fn from_secret_in(text: &str, under_sam_local: bool) -> Result<Self, ConfigError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|_| ConfigError::SecretInvalid("not a JSON object".into()))?;
        let obj = v
            .as_object()
            .ok_or_else(|| ConfigError::SecretInvalid("not a JSON object".into()))?;
        let get = |k: &str| -> Result<Option<String>, ConfigError> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(_) => Err(ConfigError::SecretInvalid(format!("{k} must be a string"))),
            }
        };
        let required = |k: &'static str| {
            get(k)?.ok_or_else(|| ConfigError::SecretInvalid(format!("{k} is required")))
        };
        let store_hash = required("store_hash")?;
        if !store_hash.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConfigError::SecretInvalid(
                "store_hash must be letters and digits".into(),
            ));
        }
        let url = |k: &'static str, v: String| -> Result<Url, ConfigError> {
            let mut u = Url::parse(&v)
                .map_err(|_| ConfigError::SecretInvalid(format!("{k} is not a URL")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(ConfigError::SecretInvalid(format!("{k} must be http(s)")));
            }
            // The token travels to api_base_url: plain http only to this machine (the sandbox).
            if k == "api_base_url"
                && u.scheme() == "http"
                && !is_loopback(&u)
                && !(under_sam_local && is_docker_host(&u))
            {
                return Err(ConfigError::SecretInvalid(
                    "api_base_url must be https (http only for 127.0.0.1, ::1 or localhost)".into(),
                ));
            }
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
            Ok(u)
        };
        let api_base_url = url(
            "api_base_url",
            get("api_base_url")?.unwrap_or_else(|| DEFAULT_API_BASE.to_string()),
        )?;
        // Only the sandbox puts the store on this machine: where the demo key is accepted.
        let store_is_local =
            is_loopback(&api_base_url) || (under_sam_local && is_docker_host(&api_base_url));
        let (signing_key, refused) = match get("gladly_signing_key")? {
            None => (None, None),
            Some(raw) => match crate::auth::signing_key(&raw, store_is_local) {
                Ok(key) => (Some(key), None),
                Err(why) => (None, Some(why)),
            },
        };
        let basic = match (get("gladly_basic_username")?, get("gladly_basic_password")?) {
            (Some(u), Some(p)) => Some(BasicCredentials::new(&u, &p)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::SecretInvalid(
                    "gladly_basic_username and gladly_basic_password go together".into(),
                ))
            }
        };
        Ok(StoreConfig {
            store_hash,
            access_token: SecretString::from(required("access_token")?),
            auth: AuthKeys {
                signing_key,
                basic,
                refused,
            },
            api_base_url,
            storefront_url: get("storefront_url")?
                .map(|u| url("storefront_url", u))
                .transpose()?,
            guardrails: {
                // Read like every other key: a value that is not a string is refused by name.
                let mut rails = std::collections::HashMap::new();
                for k in crate::guardrails::KEYS {
                    if let Some(v) = get(k)? {
                        rails.insert(k, v);
                    }
                }
                let mut rails = crate::guardrails::Guardrails::from_keys(|k| rails.get(k).cloned())
                    .map_err(ConfigError::SecretInvalid)?;
                match merchant_reasons(obj.get("reasons")) {
                    Ok(reasons) => rails.reasons = reasons,
                    Err(why) => rails.ignored.push(why),
                }
                refused_limits(&rails.ignored);
                rails
            },
            default_phone_region: get("default_phone_region")?
                .map(|r| {
                    crate::mapping::phone::Region::new(&r).ok_or_else(|| {
                        ConfigError::SecretInvalid(
                            "default_phone_region must be a two-letter country code".into(),
                        )
                    })
                })
                .transpose()?,
            quota_share: quota_share(obj.get("quota_share")),
            customer_directory: customer_directory(obj.get("customer_directory")),
        })
    }
}

fn is_loopback(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `sam local`'s name, inside its containers, for the machine running them.
fn is_docker_host(u: &Url) -> bool {
    matches!(u.host(), Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("host.docker.internal"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::under_sam_local;
    use secrecy::ExposeSecret;

    #[test]
    fn a_full_secret() {
        let c = StoreConfig::from_secret(r#"{"store_hash":"abc123","access_token":"tok","gladly_signing_key":"a-signing-key-of-32-bytes-or-more",
            "gladly_basic_username":"u","gladly_basic_password":"p","api_base_url":"http://127.0.0.1:4010",
            "storefront_url":"https://shop.example.com"}"#)
        .unwrap();
        assert_eq!(c.store_hash, "abc123");
        assert_eq!(c.access_token.expose_secret(), "tok");
        assert!(c.auth.signing_key.is_some() && c.auth.basic.is_some());
        assert_eq!(c.api_base_url.as_str(), "http://127.0.0.1:4010/");
        assert_eq!(
            c.storefront_url.map(String::from).as_deref(),
            Some("https://shop.example.com/")
        );
    }

    #[test]
    fn api_base_url_is_https_except_on_this_machine() {
        let with = |url: &str| {
            StoreConfig::from_secret(
                &serde_json::json!({"store_hash":"abc","access_token":"t","api_base_url":url})
                    .to_string(),
            )
        };
        for ok in [
            "https://api.bigcommerce.com",
            "http://127.0.0.1:4010",
            "http://[::1]:4010",
            "http://localhost:4010",
        ] {
            assert!(with(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.bigcommerce.com",
            "http://10.0.0.8",
            "ftp://x.com",
            "http://host.docker.internal:4010",
        ] {
            assert!(with(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn under_sam_local_http_may_also_go_to_the_docker_host() {
        let secret = |url: &str| {
            serde_json::json!({"store_hash":"abc","access_token":"t","api_base_url":url})
                .to_string()
        };
        let docker_host = secret("http://host.docker.internal:4010");
        assert!(StoreConfig::from_secret_in(&docker_host, true).is_ok());
        assert!(StoreConfig::from_secret_in(&docker_host, false).is_err());
        assert!(StoreConfig::from_secret_in(&secret("http://10.0.0.8"), true).is_err());
        assert!(StoreConfig::from_secret_in(&secret("http://api.bigcommerce.com"), true).is_err());
        let env = |v: &'static str| move |k: &str| (k == "AWS_SAM_LOCAL").then(|| v.to_string());
        assert!(under_sam_local(env("true")));
        assert!(!under_sam_local(env("")) && !under_sam_local(env("false")));
        assert!(!under_sam_local(|_: &str| None));
    }

    #[test]
    fn defaults_and_errors_name_the_key_not_the_value() {
        let c = StoreConfig::from_secret(r#"{"store_hash":"abc","access_token":"t0k3n"}"#).unwrap();
        assert_eq!(c.api_base_url.as_str(), "https://api.bigcommerce.com/");
        assert!(c.auth.signing_key.is_none() && c.auth.basic.is_none());
        for (text, says) in [
            ("nope", "not a JSON object"),
            (r#"{"access_token":"t0k3n"}"#, "store_hash is required"),
            (
                r#"{"store_hash":"a/b","access_token":"t0k3n"}"#,
                "store_hash must be",
            ),
            (
                r#"{"store_hash":"a","access_token":"t0k3n","api_base_url":"ftp://x"}"#,
                "api_base_url must be http(s)",
            ),
            (
                r#"{"store_hash":"a","access_token":"t0k3n","gladly_basic_username":"u"}"#,
                "go together",
            ),
            (
                r#"{"store_hash":"a","access_token":5}"#,
                "access_token must be a string",
            ),
        ] {
            let e = StoreConfig::from_secret(text).unwrap_err().to_string();
            assert!(e.contains(says), "{text}: {e}");
            assert!(!e.contains("t0k3n"));
        }
        assert!(!format!("{c:?}").contains("t0k3n"));
    }

    #[test]
    fn a_short_key_or_the_demo_key_off_the_sandbox_is_refused_not_an_error() {
        use crate::auth::{KeyRefused, DEMO_SIGNING_KEY};
        let refused = |key: &str, api: &str, sam_local: bool| {
            let secret = serde_json::json!({"store_hash":"abc","access_token":"t",
                "gladly_signing_key":key,"api_base_url":api});
            let c = StoreConfig::from_secret_in(&secret.to_string(), sam_local).unwrap();
            assert_eq!(c.auth.signing_key.is_some(), c.auth.refused.is_none());
            c.auth.refused
        };
        let sandbox = "http://127.0.0.1:4010";
        let docker_host = "http://host.docker.internal:4010";
        let bigcommerce = "https://api.bigcommerce.com";
        assert_eq!(refused(DEMO_SIGNING_KEY, sandbox, false), None);
        assert_eq!(
            refused(DEMO_SIGNING_KEY, "http://localhost:4010", false),
            None
        );
        assert_eq!(refused(DEMO_SIGNING_KEY, docker_host, true), None);
        assert_eq!(
            refused(DEMO_SIGNING_KEY, bigcommerce, false),
            Some(KeyRefused::DemoKey)
        );
        // sam local with the real store is no sandbox either.
        assert_eq!(
            refused(DEMO_SIGNING_KEY, bigcommerce, true),
            Some(KeyRefused::DemoKey)
        );
        let short = "a-31-byte-key-xxxxxxxxxxxxxxxxx";
        assert_eq!(short.len(), 31);
        for api in [sandbox, bigcommerce] {
            assert_eq!(
                refused(short, api, false),
                Some(KeyRefused::TooShort { bytes: 31 })
            );
        }
        assert_eq!(refused(&format!("{short}y"), bigcommerce, false), None);
    }

    #[test]
    fn shop_urls_are_ascii_or_punycode() {
        let base = r#"{"store_hash":"a","access_token":"t","storefront_url":"#;
        let ok = StoreConfig::from_secret(&format!(r#"{base}"https://xn--bcher-kva.example"}}"#))
            .unwrap();
        assert_eq!(
            ok.storefront_url.map(String::from).as_deref(),
            Some("https://xn--bcher-kva.example/")
        );
        let e =
            StoreConfig::from_secret(&format!(r#"{base}"https://bücher.example"}}"#)).unwrap_err();
        assert!(e.to_string().contains("storefront_url is not a URL"));
    }
}
