//! The web demo's files, and nothing else of its directory: only the pages, styles,
//! scripts and the built wasm package are served; `node_modules`, tests, test results,
//! benchmarks and dotfiles answer 404 like files that do not exist.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Top-level entries of the demo directory that make up the built demo.
const SERVED_ROOTS: &[&str] = &["index.html", "styles.css", "sw.js", "js", "pkg"];
/// File types the demo is made of.
const SERVED_EXTENSIONS: &[&str] = &[
    "html",
    "css",
    "js",
    "mjs",
    "wasm",
    "json",
    "svg",
    "png",
    "ico",
    "webmanifest",
];

/// Whether a request path names a file of the built demo (`/` is `index.html`).
pub fn is_served(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        return true;
    }
    let segments: Vec<&str> = path.split('/').collect();
    // Percent-encoded names are decoded by the file service; refuse what could hide a
    // dot, a slash or a parent directory instead of decoding twice.
    if segments
        .iter()
        .any(|s| s.is_empty() || s.starts_with('.') || s.contains('%') || s.contains('\\'))
    {
        return false;
    }
    if !SERVED_ROOTS.contains(&segments[0]) {
        return false;
    }
    let last = segments[segments.len() - 1];
    match last.rsplit_once('.') {
        Some((_, extension)) => SERVED_EXTENSIONS.contains(&extension),
        // A directory: the file service answers with its index.html, if any.
        None => segments.len() == 1 && segments[0] != "index.html",
    }
}

/// Layer on the static file service: 404 for anything outside the built demo.
pub async fn only_the_demo(request: Request, next: Next) -> Response {
    if is_served(request.uri().path()) {
        next.run(request).await
    } else {
        ApiError::not_found("not_found", "no such route or file").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::is_served;

    #[test]
    fn only_the_built_demo_is_served() {
        for path in [
            "/",
            "/index.html",
            "/styles.css",
            "/sw.js",
            "/js/main.js",
            "/js/views/history.js",
            "/pkg/order_wasm.js",
            "/pkg/order_wasm_bg.wasm",
        ] {
            assert!(is_served(path), "{path}");
        }
        for path in [
            "/node_modules/x/index.js",
            "/test/offline.test.mjs",
            "/test-results/report.json",
            "/bench/rebase.mjs",
            "/.gitignore",
            "/js/.secret.js",
            "/package.json",
            "/package-lock.json",
            "/README.md",
            "/js/%2e%2e/package.json",
            "/js/../package.json",
        ] {
            assert!(!is_served(path), "{path}");
        }
    }
}
