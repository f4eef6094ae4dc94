//! `gladly-client`: speaks to the adaptor exactly as Gladly does (signed requests), so users can
//! try a deployment (`smoke`), the demo can play a session (`demo`), and `events/` can be
//! regenerated with a fresh signature (`event`), and a person can click through what an agent
//! sees (`console`).

mod console;
mod demo;
mod target;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use shared::auth::{sign, SignatureInput};
use std::process::ExitCode;
use target::Target;

#[derive(Parser)]
#[command(about = "Signed Gladly requests to the BigCommerce adaptor")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the adaptor is and the key Gladly signs with.
#[derive(clap::Args)]
struct Adaptor {
    #[arg(long, env = "GLADLY_URL")]
    url: String,
    #[arg(long, env = "GLADLY_SIGNING_KEY", hide_env_values = true)]
    key: String,
    /// `--local` when URL is `cargo lambda watch` (one path prefix per function).
    #[arg(long)]
    local: bool,
}

impl Adaptor {
    fn target(&self) -> Target {
        Target::new(&self.url, self.local)
    }
}

#[derive(Subcommand)]
enum Command {
    /// One signed request; prints the status and the JSON answer.
    Request {
        #[command(flatten)]
        adaptor: Adaptor,
        method: String,
        path: String,
        #[arg(long)]
        body: Option<String>,
    },
    /// Prints an API Gateway (HTTP API, payload 2.0) event for `sam local invoke -e` and
    /// `cargo lambda invoke --data-file`, signed now.
    Event {
        #[arg(long, env = "GLADLY_SIGNING_KEY", hide_env_values = true)]
        key: String,
        /// The route key, e.g. `POST /orders/{orderId}/refund/{requestId}`.
        #[arg(long)]
        route: String,
        method: String,
        path: String,
        #[arg(long)]
        body: Option<String>,
    },
    /// Plays a Gladly session against the sandbox store, step by step.
    Demo {
        #[command(flatten)]
        adaptor: Adaptor,
    },
    /// A local web page that plays Gladly's agent side against the adaptor: search and link,
    /// the profile and its order cards, action forms, and every call raw. The key stays here.
    Console {
        #[command(flatten)]
        adaptor: Adaptor,
        /// The local port to serve on (0 picks a free one).
        #[arg(long, default_value_t = 4321)]
        port: u16,
    },
    /// Calls each function once, harmlessly (a lookup of nobody, forms of an order that does
    /// not exist), printing each first call's time: what `demo` does before its tour.
    Warm {
        #[command(flatten)]
        adaptor: Adaptor,
    },
    /// Checks a deployment: refuses unsigned calls, answers a signed lookup.
    Smoke {
        #[command(flatten)]
        adaptor: Adaptor,
    },
}

pub struct Signed {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Signs like Gladly: content type, accept, correlation id and time, all signed.
pub fn signed(key: &str, method: &str, path: &str, body: &str) -> Signed {
    let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let correlation = format!("demo-{}", chrono::Utc::now().timestamp_millis());
    let mut headers = vec![
        ("accept".to_string(), "application/json".to_string()),
        ("content-type".to_string(), "application/json".to_string()),
        ("gladly-correlation-id".to_string(), correlation),
        ("gladly-time".to_string(), time),
    ];
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let auth = sign(
        key,
        &SignatureInput {
            method,
            path: path_only,
            query,
            headers: &pairs,
            body: body.as_bytes(),
        },
    );
    headers.push(("gladly-authorization".to_string(), auth));
    Signed {
        headers,
        body: body.to_string(),
    }
}

pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub millis: u128,
}

/// One signed call as it went out and came back, for the console's raw view.
pub struct Call {
    pub url: String,
    /// The headers sent, the signature among them: show them only through [`Call::shown_headers`].
    headers: Vec<(String, String)>,
    pub status: u16,
    pub json: Value,
    pub millis: u128,
}

impl Call {
    /// The request headers with Gladly's signature left out: it is a credential for this request.
    pub fn shown_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(n, v)| {
                let shown = if n == "gladly-authorization" {
                    "(signature, not shown)".to_string()
                } else {
                    v.clone()
                };
                (n.clone(), shown)
            })
            .collect()
    }
}

pub async fn send(
    target: &Target,
    key: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<Reply, String> {
    let c = call(&reqwest::Client::new(), target, key, method, path, body).await?;
    Ok(Reply {
        status: c.status,
        json: c.json,
        millis: c.millis,
    })
}

/// Sends one request as Gladly does: signed when a key is given.
pub async fn call(
    client: &reqwest::Client,
    target: &Target,
    key: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> Result<Call, String> {
    let body = body.unwrap_or("");
    let url = target.url_for(path)?;
    let mut req = client.request(
        method.parse().map_err(|_| format!("bad method {method}"))?,
        &url,
    );
    let headers = match key {
        Some(k) => signed(k, method, path, body).headers,
        None => vec![("content-type".to_string(), "application/json".to_string())],
    };
    for (n, v) in &headers {
        req = req.header(n, v);
    }
    if !body.is_empty() {
        req = req.body(body.to_string());
    }
    let started = std::time::Instant::now();
    let failed = |e: reqwest::Error| {
        if e.is_timeout() {
            format!("{method} {path}: no answer in time")
        } else {
            format!("{method} {path}: {e}")
        }
    };
    let resp = req.send().await.map_err(failed)?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(failed)?;
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Call {
        url,
        headers,
        status,
        json,
        millis: started.elapsed().as_millis(),
    })
}

fn event(key: &str, route: &str, method: &str, path: &str, body: Option<&str>) -> Value {
    let body = body.unwrap_or("");
    let (path_only, query) = path.split_once('?').unwrap_or((path, ""));
    let s = signed(key, method, path, body);
    let headers: serde_json::Map<String, Value> = s
        .headers
        .into_iter()
        .map(|(n, v)| (n, Value::String(v)))
        .collect();
    let now = chrono::Utc::now();
    json!({
        "version": "2.0",
        "routeKey": route,
        "rawPath": path_only,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "local.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "local",
            "http": { "method": method, "path": path_only, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "Gladly" },
            "requestId": format!("local-{}", now.timestamp_millis()),
            "routeKey": route,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.timestamp_millis(),
        },
        "body": if body.is_empty() { Value::Null } else { Value::String(body.to_string()) },
        "isBase64Encoded": false,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Request {
            adaptor,
            method,
            path,
            body,
        } => {
            match send(
                &adaptor.target(),
                Some(&adaptor.key),
                &method.to_uppercase(),
                &path,
                body.as_deref(),
            )
            .await
            {
                Ok(r) => {
                    println!(
                        "{} ({} ms)\n{}",
                        r.status,
                        r.millis,
                        serde_json::to_string_pretty(&r.json).unwrap_or_default()
                    );
                    if r.status >= 500 {
                        Err(String::new())
                    } else {
                        Ok(())
                    }
                }
                Err(e) => Err(e),
            }
        }
        Command::Event {
            key,
            route,
            method,
            path,
            body,
        } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&event(
                    &key,
                    &route,
                    &method.to_uppercase(),
                    &path,
                    body.as_deref()
                ))
                .unwrap_or_default()
            );
            Ok(())
        }
        Command::Demo { adaptor } => demo::play(&adaptor.target(), &adaptor.key).await,
        Command::Console { adaptor, port } => {
            console::serve(adaptor.target(), &adaptor.url, adaptor.key, port).await
        }
        Command::Warm { adaptor } => demo::warm_up(&adaptor.target(), &adaptor.key).await,
        Command::Smoke { adaptor } => demo::smoke(&adaptor.target(), &adaptor.key).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
