//! The web demo's files, and nothing else of its directory: only the pages, styles,
//! scripts and the built wasm package are served; `node_modules`, tests, test results,
//! benchmarks and dotfiles answer 404 like files that do not exist.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub use crate::web_files::is_served;

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
