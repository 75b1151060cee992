//! The `serve` options that protect the server: who may call it (tokens, `--dev-auth`,
//! open mode) and the limits against hostile clients (CORS origins, timeouts, caps).

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::NonEmptyStringValueParser;
use clap::Args;

use crate::auth::config::{read_secret_file, AuthSettings, Secret};
use crate::limits::Limits;

/// Authentication and the limits that protect the server from hostile clients.
/// The HS256 secret itself is read from ORDER_AUTH_HS256_SECRET (never a flag: command
/// lines are visible to every local user) or from a file.
#[derive(Debug, Args)]
pub struct SecurityArgs {
    /// File holding the HS256 shared secret (at least 32 bytes; one trailing newline is ignored).
    #[arg(long, env = "ORDER_AUTH_HS256_SECRET_FILE")]
    pub auth_hs256_secret_file: Option<PathBuf>,
    /// JWKS file with the RS256/ES256 public keys tokens may be signed with.
    #[arg(long, env = "ORDER_AUTH_JWKS")]
    pub auth_jwks: Option<PathBuf>,
    /// Clock skew allowed on a token's exp and nbf, in seconds.
    #[arg(long, env = "ORDER_AUTH_LEEWAY_SECS", default_value_t = crate::auth::jwt::DEFAULT_LEEWAY_SECS)]
    pub auth_leeway_secs: u64,
    /// Refuse tokens whose aud (a string or an array) does not contain this.
    #[arg(long, env = "ORDER_AUTH_AUDIENCE", value_parser = NonEmptyStringValueParser::new())]
    pub auth_audience: Option<String>,
    /// Refuse tokens whose iss is not this.
    #[arg(long, env = "ORDER_AUTH_ISSUER", value_parser = NonEmptyStringValueParser::new())]
    pub auth_issuer: Option<String>,
    /// Add POST /dev/token {sub, roles, customerId?} -> {token} (loopback addresses only).
    #[arg(long, env = "ORDER_DEV_AUTH")]
    pub dev_auth: bool,
    /// Serve without authentication even on a non-loopback address.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// Another origin (scheme://host[:port]) whose pages may call the API (CORS); repeatable.
    #[arg(
        long = "cors-origin",
        env = "ORDER_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,
    /// Requests handled at once; above it, 503 with Retry-After.
    #[arg(long, env = "ORDER_MAX_CONCURRENT_REQUESTS", default_value_t = crate::limits::DEFAULT_MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,
    /// Seconds a request may take, from its head to its answer (408 after that).
    #[arg(long, env = "ORDER_REQUEST_TIMEOUT_SECS", default_value_t = crate::limits::DEFAULT_REQUEST_TIMEOUT.as_secs())]
    pub request_timeout_secs: u64,
    /// Seconds a client has to send a request's headers before the connection is closed.
    #[arg(long, env = "ORDER_HEADER_TIMEOUT_SECS", default_value_t = crate::limits::DEFAULT_HEADER_TIMEOUT.as_secs())]
    pub header_timeout_secs: u64,
    /// Requests per second allowed per client IP address (burst as large), 429 above; 0: no limit.
    #[arg(long, env = "ORDER_RATE_LIMIT", default_value_t = 0)]
    pub rate_limit: u32,
}

impl SecurityArgs {
    pub fn auth_settings(&self) -> anyhow::Result<AuthSettings> {
        let from_env = std::env::var_os("ORDER_AUTH_HS256_SECRET")
            .filter(|s| !s.is_empty())
            .map(|s| Secret(s.into_encoded_bytes()));
        let hs256_secret = match (from_env, &self.auth_hs256_secret_file) {
            (Some(_), Some(_)) => anyhow::bail!(
                "both ORDER_AUTH_HS256_SECRET and --auth-hs256-secret-file are set; use one"
            ),
            (Some(secret), None) => Some(secret),
            (None, Some(path)) => Some(read_secret_file(path)?),
            (None, None) => None,
        };
        Ok(AuthSettings {
            hs256_secret,
            jwks_file: self.auth_jwks.clone(),
            leeway_secs: self.auth_leeway_secs,
            audience: self.auth_audience.clone(),
            issuer: self.auth_issuer.clone(),
            dev_auth: self.dev_auth,
            insecure_no_auth: self.insecure_no_auth,
        })
    }

    pub fn limits(&self) -> anyhow::Result<Limits> {
        if self.max_concurrent_requests == 0
            || self.request_timeout_secs == 0
            || self.header_timeout_secs == 0
        {
            anyhow::bail!("--max-concurrent-requests and the timeouts must be at least 1");
        }
        Ok(Limits {
            max_concurrent_requests: self.max_concurrent_requests,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            per_client_per_second: (self.rate_limit > 0).then_some(self.rate_limit),
        })
    }
}
