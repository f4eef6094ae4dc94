//! The AWS SDK clients. Both services are configured from one `SdkConfig`, built once per
//! process: the region, the credentials and the timeouts are decided here and nowhere else.
//!
//! It is built directly rather than through `aws_config::defaults().load()`: credentials and
//! region come from the environment as Lambda sets them, and the default provider chains
//! (profiles, SSO, STS, instance metadata) stay out of the binary.

use aws_config::SdkConfig;
use std::sync::OnceLock;
use std::time::Duration;

/// What every AWS client shares. The HTTP client is not in it: its connection pool belongs to the
/// tokio runtime that opened the connections, so each client gets its own (`https`), and a
/// client never reaches a connection whose runtime has gone (as happens between tests).
fn shared() -> &'static SdkConfig {
    static SHARED: OnceLock<SdkConfig> = OnceLock::new();
    SHARED.get_or_init(|| {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(region())
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
                aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
            ))
            .timeout_config(timeouts())
            .build()
    })
}

/// The HTTP client of the AWS SDK clients: rustls on ring, the TLS stack reqwest already brings.
fn https() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Lambda always sets `AWS_REGION`.
fn region() -> aws_config::Region {
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|r| !r.trim().is_empty()))
        .unwrap_or_else(|| "us-east-1".to_string());
    aws_config::Region::new(region)
}

/// `endpoint`, else the SDK's usual variables (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`),
/// which point at local emulators (moto) in development.
fn endpoint_of(endpoint: Option<&str>, service_var: &str) -> Option<String> {
    endpoint
        .map(String::from)
        .or_else(|| std::env::var(service_var).ok())
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
        .filter(|e| !e.trim().is_empty())
}

/// Every AWS call ends inside the action's budget (Gladly waits 15 s, a lookup 5 s): a slow
/// Secrets Manager or DynamoDB answer is an error we can word, never a Lambda timeout.
/// An attempt gets 1 s (these calls take milliseconds), the whole call with its retries 2 s.
fn timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .operation_attempt_timeout(Duration::from_secs(1))
        .operation_timeout(Duration::from_secs(2))
        .build()
}

/// A Secrets Manager client.
pub fn secrets_manager_client(endpoint: Option<&str>) -> aws_sdk_secretsmanager::Client {
    let mut config = aws_sdk_secretsmanager::config::Builder::from(shared()).http_client(https());
    config.set_endpoint_url(endpoint_of(endpoint, "AWS_ENDPOINT_URL_SECRETS_MANAGER"));
    aws_sdk_secretsmanager::Client::from_conf(config.build())
}

/// A DynamoDB client.
pub fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    let mut config = aws_sdk_dynamodb::config::Builder::from(shared()).http_client(https());
    config.set_endpoint_url(endpoint_of(endpoint, "AWS_ENDPOINT_URL_DYNAMODB"));
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_clients_share_the_region_and_timeouts() {
        let sm = secrets_manager_client(Some("http://127.0.0.1:1"));
        let ddb = dynamodb_client(Some("http://127.0.0.1:2"));
        let (sm, ddb) = (sm.config(), ddb.config());
        assert_eq!(sm.region(), shared().region());
        assert_eq!(ddb.region(), shared().region());
        assert_eq!(sm.timeout_config(), shared().timeout_config());
        assert_eq!(ddb.timeout_config(), shared().timeout_config());
        assert_eq!(
            shared()
                .timeout_config()
                .and_then(|t| t.operation_timeout()),
            Some(Duration::from_secs(2))
        );
        // The HTTP client stays each client's own (endpoints: the tests under moto).
        assert!(sm.http_client().is_some() && ddb.http_client().is_some());
    }
}
