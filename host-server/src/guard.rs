//! Defences against hostile browsers: request bodies only as `application/json` (a
//! cross-site `text/plain` POST needs no CORS preflight, so it must not be understood),
//! and an `Origin` allow-list (by default only the server's own origin).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;

/// `415 unsupported_media_type` unless a request that carries (or declares) a body says
/// it is `application/json`. A declared non-JSON type is refused even with an empty body:
/// an HTML form can POST `text/plain` with no fields.
pub async fn json_bodies_only(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let acceptable = match headers.get(header::CONTENT_TYPE) {
        Some(value) => value.to_str().is_ok_and(is_json),
        None => !has_body(headers),
    };
    if acceptable {
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "request bodies must be sent as Content-Type: application/json",
        )
        .into_response()
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length != "0")
}

/// Which `Origin`s may call the server. Requests without an `Origin` header (curl,
/// scripts, same-origin navigations) are not browsers acting for another site and pass.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Exact origins allowed (`scheme://host[:port]`, no trailing slash).
    pub allowed: HashSet<String>,
    /// Also allow the origin the request's own `Host` names (off on loopback, where a
    /// fixed list defeats DNS rebinding: a rebound name is not on it).
    pub own_host: bool,
    /// No check at all (`router()` used without a server configuration).
    pub unchecked: bool,
}

impl Origins {
    /// The server's own origins for a listen address plus the operator's extra ones.
    pub fn for_listener(address: SocketAddr, extra: &[String]) -> Self {
        let mut allowed: HashSet<String> = extra
            .iter()
            .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
            .collect();
        let port = address.port();
        let loopback = address.ip().is_loopback();
        if loopback {
            for host in ["127.0.0.1", "localhost", "[::1]"] {
                allowed.insert(format!("http://{host}:{port}"));
            }
        }
        Origins {
            allowed,
            own_host: !loopback,
            unchecked: false,
        }
    }

    pub fn unchecked() -> Self {
        Origins {
            unchecked: true,
            ..Origins::default()
        }
    }

    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        if self.unchecked {
            return true;
        }
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed.contains(&origin) {
            return true;
        }
        self.own_host
            && host.is_some_and(|host| {
                let host = host.to_ascii_lowercase();
                origin == format!("http://{host}") || origin == format!("https://{host}")
            })
    }
}

/// `403 forbidden_origin` for a browser request sent by a page of another origin.
pub async fn check_origin(
    State(origins): State<Arc<Origins>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let allowed = origin.to_str().is_ok_and(|o| origins.allows(o, host));
        if !allowed {
            let shown = String::from_utf8_lossy(origin.as_bytes()).into_owned();
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                format!(
                    "requests from origin {shown} are not allowed (an operator can allow it with --cors-origin)"
                ),
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Parses `--cors-origin` values (`scheme://host[:port]`).
pub fn parse_cors_origins(origins: &[String]) -> anyhow::Result<Vec<HeaderValue>> {
    origins
        .iter()
        .map(|origin| {
            let origin = origin.trim_end_matches('/');
            let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin["https://".len().min(origin.len())..].contains('/');
            if !valid {
                anyhow::bail!("--cors-origin {origin}: expected scheme://host[:port], e.g. https://shop.example");
            }
            HeaderValue::from_str(&origin.to_ascii_lowercase())
                .map_err(|_| anyhow::anyhow!("--cors-origin {origin}: not a valid header value"))
        })
        .collect()
}

/// CORS for the configured origins: the methods and headers the API uses.
pub fn cors(origins: Vec<HeaderValue>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-correlation-id"),
            // W3C trace context, sent by front ends that trace their own calls.
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
        ])
        .expose_headers([HeaderName::from_static("x-scanned-through")])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("application/jsonp"));
    }

    #[test]
    fn loopback_allows_its_own_names_only() {
        let origins = Origins::for_listener("127.0.0.1:8080".parse().unwrap(), &[]);
        assert!(origins.allows("http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(origins.allows("http://localhost:8080", None));
        assert!(!origins.allows("http://evil.example:8080", Some("evil.example:8080")));
        assert!(!origins.allows("http://localhost:9999", None));
        assert!(!origins.allows("null", None));
    }

    #[test]
    fn public_listeners_allow_their_host_and_configured_origins() {
        let extra = vec!["https://shop.example/".to_string()];
        let origins = Origins::for_listener("0.0.0.0:443".parse().unwrap(), &extra);
        assert!(origins.allows("https://orders.example", Some("orders.example")));
        assert!(origins.allows("https://shop.example", Some("orders.example")));
        assert!(!origins.allows("https://evil.example", Some("orders.example")));
    }
}
