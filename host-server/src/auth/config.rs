//! How `serve` decides its mode: tokens verified with the configured keys, open on
//! loopback (with a warning), or refused on any other address unless the operator
//! explicitly asks for `--insecure-no-auth`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context as _};

use super::jwt::{random_secret, Verifier, DEFAULT_LEEWAY_SECS};
use super::{Auth, SharedAuth};

/// A secret that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub hs256_secret: Option<Secret>,
    pub jwks_file: Option<PathBuf>,
    pub leeway_secs: u64,
    /// A token's `aud` must contain this (`--auth-audience`).
    pub audience: Option<String>,
    /// A token's `iss` must be this (`--auth-issuer`).
    pub issuer: Option<String>,
    /// `POST /dev/token` (loopback only).
    pub dev_auth: bool,
    /// Serve without authentication on a non-loopback address.
    pub insecure_no_auth: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            hs256_secret: None,
            jwks_file: None,
            leeway_secs: DEFAULT_LEEWAY_SECS,
            audience: None,
            issuer: None,
            dev_auth: false,
            insecure_no_auth: false,
        }
    }
}

/// Reads an HS256 secret file: its bytes, less one trailing newline (as `echo` writes).
pub fn read_secret_file(path: &std::path::Path) -> anyhow::Result<Secret> {
    let mut bytes = std::fs::read(path)
        .with_context(|| format!("reading the HS256 secret file {}", path.display()))?;
    if bytes.ends_with(b"\n") {
        bytes.pop();
        if bytes.ends_with(b"\r") {
            bytes.pop();
        }
    }
    Ok(Secret(bytes))
}

/// The authentication of a server listening on `listen`, or why it must not start.
pub fn configure(settings: &AuthSettings, listen: SocketAddr) -> anyhow::Result<SharedAuth> {
    let loopback = listen.ip().is_loopback();
    if settings.dev_auth && !loopback {
        bail!(
            "--dev-auth issues tokens to anyone who asks, so it is allowed only on a loopback \
             address (127.0.0.1 or ::1), not on {listen}"
        );
    }
    let mut verifier = Verifier::new(settings.leeway_secs);
    if let Some(secret) = &settings.hs256_secret {
        verifier = verifier
            .with_hs256_secret(&secret.0)
            .context("ORDER_AUTH_HS256_SECRET / --auth-hs256-secret-file")?;
    }
    if let Some(path) = &settings.jwks_file {
        verifier = verifier.with_jwks_file(path)?;
    }
    if settings.dev_auth && !verifier.has_hs256() {
        verifier = verifier.with_hs256_secret(&random_secret()?)?;
        tracing::warn!(
            "--dev-auth: POST /dev/token issues tokens signed with a secret made for this process"
        );
    } else if settings.dev_auth {
        tracing::warn!(
            "--dev-auth: POST /dev/token issues tokens signed with the configured HS256 secret"
        );
    }
    if verifier.has_keys() {
        if let Some(audience) = &settings.audience {
            verifier = verifier.with_audience(audience);
        }
        if let Some(issuer) = &settings.issuer {
            verifier = verifier.with_issuer(issuer);
        }
        return Ok(Auth::with(verifier));
    }
    if settings.audience.is_some() || settings.issuer.is_some() {
        // Running open would silently ignore them: the operator meant tokens to be checked.
        bail!(
            "--auth-audience and --auth-issuer check tokens, but no key is configured to \
             verify them (ORDER_AUTH_HS256_SECRET, --auth-hs256-secret-file, --auth-jwks or \
             --dev-auth)"
        );
    }
    if loopback {
        tracing::warn!(
            %listen,
            "no authentication configured (ORDER_AUTH_HS256_SECRET, --auth-hs256-secret-file \
             or --auth-jwks): running open, anyone who can reach this address acts as anyone"
        );
    } else if settings.insecure_no_auth {
        tracing::warn!(
            %listen,
            "--insecure-no-auth: serving WITHOUT authentication on a non-loopback address"
        );
    } else {
        bail!(
            "refusing to serve {listen} without authentication: configure \
             ORDER_AUTH_HS256_SECRET, --auth-hs256-secret-file or --auth-jwks, listen on a \
             loopback address, or pass --insecure-no-auth"
        );
    }
    Ok(Auth::open())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn open_mode_only_on_loopback_or_when_asked() {
        let open = AuthSettings::default();
        assert!(configure(&open, addr("127.0.0.1:0")).unwrap().is_open());
        assert!(configure(&open, addr("[::1]:0")).unwrap().is_open());
        let err = configure(&open, addr("0.0.0.0:8080")).err().unwrap();
        assert!(err.to_string().contains("--insecure-no-auth"), "{err}");
        let insecure = AuthSettings {
            insecure_no_auth: true,
            ..AuthSettings::default()
        };
        assert!(configure(&insecure, addr("0.0.0.0:8080"))
            .unwrap()
            .is_open());
    }

    #[test]
    fn audience_or_issuer_without_keys_is_refused_rather_than_ignored() {
        for settings in [
            AuthSettings {
                audience: Some("orders".into()),
                ..AuthSettings::default()
            },
            AuthSettings {
                issuer: Some("https://idp.example".into()),
                ..AuthSettings::default()
            },
        ] {
            let err = configure(&settings, addr("127.0.0.1:0")).err().unwrap();
            assert!(err.to_string().contains("no key"), "{err}");
        }
        let dev = AuthSettings {
            dev_auth: true,
            audience: Some("orders".into()),
            ..AuthSettings::default()
        };
        assert!(!configure(&dev, addr("127.0.0.1:0")).unwrap().is_open());
    }

    #[test]
    fn dev_auth_is_loopback_only_and_turns_auth_on() {
        let dev = AuthSettings {
            dev_auth: true,
            ..AuthSettings::default()
        };
        assert!(configure(&dev, addr("0.0.0.0:8080")).is_err());
        assert!(!configure(&dev, addr("127.0.0.1:0")).unwrap().is_open());
    }
}
