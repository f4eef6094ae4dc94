//! The function's environment.

use super::ConfigError;

pub const DEFAULT_ORDER_LIMIT: u32 = 10;

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

#[cfg(test)]
mod tests {
    use super::*;

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
