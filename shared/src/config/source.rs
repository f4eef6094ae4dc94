//! Where the store secret comes from, and how long a fetched one is trusted.

use super::ConfigError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a fetched secret is trusted before Secrets Manager is asked again.
pub const SECRET_TTL: Duration = Duration::from_secs(300);

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
        let client = super::secrets_manager_client(endpoint);
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
}
