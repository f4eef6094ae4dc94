//! The store secret (Secrets Manager, cached with a TTL so a rotated key or token takes effect
//! without a redeploy) and the function's environment.

use crate::auth::{AuthKeys, BasicCredentials};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// How long a fetched secret is trusted before Secrets Manager is asked again.
pub const SECRET_TTL: Duration = Duration::from_secs(300);
pub const DEFAULT_API_BASE: &str = "https://api.bigcommerce.com";
pub const DEFAULT_ORDER_LIMIT: u32 = 10;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    MissingEnv(&'static str),
    #[error("environment variable {name} is invalid: {why}")]
    BadEnv { name: &'static str, why: String },
    #[error("could not read the store secret: {0}")]
    SecretUnavailable(String),
    #[error("the store secret is invalid: {0}")]
    SecretInvalid(String),
}

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
}

/// `quota_share` as the secret has it. A value out of range is not worth refusing every request
/// for: it is logged once (naming the key) and the default is used.
fn quota_share(v: Option<&Value>) -> crate::quota::Share {
    use crate::quota::Share;
    static WARNED: Mutex<Option<String>> = Mutex::new(None);
    let text = match v {
        None | Some(Value::Null) => return Share::default(),
        Some(Value::String(s)) if s.trim().is_empty() => return Share::default(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => other.to_string(),
    };
    Share::parse(&text).unwrap_or_else(|| {
        let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
        if warned.as_deref() != Some(text.as_str()) {
            tracing::error!(
                key = "quota_share",
                "the store secret's quota_share must be a number above 0 and at most 1; using {}",
                Share::default().value()
            );
            *warned = Some(text);
        }
        Share::default()
    })
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
                signing_key: get("gladly_signing_key")?.map(SecretString::from),
                basic,
            },
            api_base_url: url(
                "api_base_url",
                get("api_base_url")?.unwrap_or_else(|| DEFAULT_API_BASE.to_string()),
            )?,
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
                crate::guardrails::Guardrails::from_keys(|k| rails.get(k).cloned())
                    .map_err(ConfigError::SecretInvalid)?
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

/// Whether the function runs under `sam local invoke` (SAM sets `AWS_SAM_LOCAL=true`; Lambda
/// never does).
pub fn under_sam_local(var: impl Fn(&str) -> Option<String>) -> bool {
    var("AWS_SAM_LOCAL").as_deref() == Some("true")
}

/// The function's environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub secret_id: String,
    pub order_limit: u32,
    /// Running in `sam local invoke`'s container (see `StoreConfig::from_secret_in`).
    pub under_sam_local: bool,
}

impl Settings {
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secret_id = var("STORE_SECRET_ID")
            .filter(|s| !s.trim().is_empty())
            .ok_or(ConfigError::MissingEnv("STORE_SECRET_ID"))?;
        let order_limit = match var("ORDER_LIMIT").filter(|s| !s.trim().is_empty()) {
            None => DEFAULT_ORDER_LIMIT,
            Some(s) => s
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or_else(|| ConfigError::BadEnv {
                    name: "ORDER_LIMIT",
                    why: "a whole number from 1 to 50".into(),
                })?,
        };
        Ok(Settings {
            secret_id: secret_id.trim().to_string(),
            order_limit,
            under_sam_local: under_sam_local(&var),
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }
}

/// The HTTP client of the AWS SDK clients: rustls on ring, the TLS stack reqwest already brings.
fn aws_https() -> aws_sdk_secretsmanager::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Lambda always sets `AWS_REGION`.
fn aws_region() -> aws_config::Region {
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|r| !r.trim().is_empty()))
        .unwrap_or_else(|| "us-east-1".to_string());
    aws_config::Region::new(region)
}

/// `endpoint`, else the SDK's usual variables (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`),
/// which point at local emulators (moto) in development.
fn aws_endpoint(endpoint: Option<&str>, service_var: &str) -> Option<String> {
    endpoint
        .map(String::from)
        .or_else(|| std::env::var(service_var).ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .filter(|e| !e.trim().is_empty())
}

// The service configs are built directly rather than through `aws_config::defaults().load()`:
// credentials and region come from the environment as Lambda sets them, and the default
// provider chains (profiles, SSO, STS, instance metadata) stay out of the binary.

/// Every AWS call ends inside the action's budget (Gladly waits 15 s, a lookup 5 s): a slow
/// Secrets Manager or DynamoDB answer is an error we can word, never a Lambda timeout.
/// An attempt gets 1 s (these calls take milliseconds), the whole call with its retries 2 s.
fn aws_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_millis(500))
        .operation_attempt_timeout(std::time::Duration::from_secs(1))
        .operation_timeout(std::time::Duration::from_secs(2))
        .build()
}

/// A Secrets Manager client.
pub fn secrets_manager_client(endpoint: Option<&str>) -> aws_sdk_secretsmanager::Client {
    use aws_sdk_secretsmanager::config::{BehaviorVersion, Builder};
    let mut b = Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_region())
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .timeout_config(aws_timeouts())
        .http_client(aws_https());
    if let Some(e) = aws_endpoint(endpoint, "AWS_ENDPOINT_URL_SECRETS_MANAGER") {
        b = b.endpoint_url(e);
    }
    aws_sdk_secretsmanager::Client::from_conf(b.build())
}

/// A DynamoDB client.
pub fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Builder};
    let mut b = Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_region())
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .timeout_config(aws_timeouts())
        .http_client(aws_https());
    if let Some(e) = aws_endpoint(endpoint, "AWS_ENDPOINT_URL_DYNAMODB") {
        b = b.endpoint_url(e);
    }
    aws_sdk_dynamodb::Client::from_conf(b.build())
}

/// A value trusted for `SECRET_TTL` after it was fetched.
#[derive(Debug, Default)]
pub struct TtlCache {
    entry: Mutex<Option<(String, Instant)>>,
}

impl TtlCache {
    pub fn fresh(&self, now: Instant) -> Option<String> {
        let entry = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        entry
            .as_ref()
            .filter(|(_, at)| now.duration_since(*at) < SECRET_TTL)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, value: &str, now: Instant) {
        *self.entry.lock().unwrap_or_else(|e| e.into_inner()) = Some((value.to_string(), now));
    }
}

/// Where the store secret comes from.
pub enum SecretSource {
    SecretsManager {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        cache: TtlCache,
    },
    /// A fixed value, for benchmarks and tools.
    Fixed(String),
}

impl SecretSource {
    /// A Secrets Manager source, cached for `SECRET_TTL` per container.
    pub async fn secrets_manager(
        secret_id: &str,
        endpoint: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let client = secrets_manager_client(endpoint);
        Ok(SecretSource::SecretsManager {
            client,
            secret_id: secret_id.to_string(),
            cache: TtlCache::default(),
        })
    }

    /// The secret's text; `refresh` bypasses the cache (after a 401 or a failed signature).
    pub async fn get(&self, refresh: bool) -> Result<String, ConfigError> {
        match self {
            SecretSource::Fixed(s) => Ok(s.clone()),
            SecretSource::SecretsManager {
                client,
                secret_id,
                cache,
            } => {
                if !refresh {
                    if let Some(v) = cache.fresh(Instant::now()) {
                        return Ok(v);
                    }
                }
                let out = client
                    .get_secret_value()
                    .secret_id(secret_id)
                    .send()
                    .await
                    .map_err(|e| {
                        ConfigError::SecretUnavailable(
                            aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
                        )
                    })?;
                let text = out.secret_string().ok_or_else(|| {
                    ConfigError::SecretInvalid("the secret has no string value".into())
                })?;
                cache.put(text, Instant::now());
                Ok(text.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_full_secret() {
        let c = StoreConfig::from_secret(r#"{"store_hash":"abc123","access_token":"tok","gladly_signing_key":"k",
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

    #[test]
    fn the_cache_trusts_a_value_for_the_ttl_only() {
        let c = TtlCache::default();
        let t0 = Instant::now();
        assert_eq!(c.fresh(t0), None);
        c.put("v1", t0);
        assert_eq!(
            c.fresh(t0 + SECRET_TTL - Duration::from_secs(1)).as_deref(),
            Some("v1")
        );
        assert_eq!(c.fresh(t0 + SECRET_TTL), None);
    }

    #[test]
    fn settings_from_env() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Settings::from_lookup(env(&[])).unwrap_err(),
            ConfigError::MissingEnv("STORE_SECRET_ID")
        );
        let s = Settings::from_lookup(env(&[("STORE_SECRET_ID", "store/x")])).unwrap();
        assert_eq!((s.secret_id.as_str(), s.order_limit), ("store/x", 10));
        assert_eq!(
            Settings::from_lookup(env(&[("STORE_SECRET_ID", "x"), ("ORDER_LIMIT", "3")]))
                .unwrap()
                .order_limit,
            3
        );
        assert!(
            Settings::from_lookup(env(&[("STORE_SECRET_ID", "x"), ("ORDER_LIMIT", "0")])).is_err()
        );
        assert!(
            Settings::from_lookup(env(&[("STORE_SECRET_ID", "x"), ("ORDER_LIMIT", "many")]))
                .is_err()
        );
    }
}
