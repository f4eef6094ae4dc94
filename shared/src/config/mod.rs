//! The function's configuration, one job a file: the store secret parsed into a `StoreConfig`
//! (`secret`), the function's environment (`env`), the AWS SDK clients built from one shared
//! config (`aws`), and where the secret comes from, cached with a TTL so a rotated key or token
//! takes effect without a redeploy (`source`).

mod aws;
mod env;
mod secret;
mod source;

pub use aws::{dynamodb_client, secrets_manager_client};
pub use env::{under_sam_local, Settings, DEFAULT_ORDER_LIMIT};
pub use secret::{StoreConfig, DEFAULT_API_BASE};
pub use source::{SecretSource, TtlCache, SECRET_TTL};

/// What can be wrong with the configuration; errors name the key or variable, never a value.
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
