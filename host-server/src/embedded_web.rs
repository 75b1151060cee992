//! The web demo built into the binary (build.rs lists its files), served at `/` when no
//! `--web-dir` is given, so `order-server serve` works from any directory. Only the files
//! of the built demo are in it (the same rule as for a directory, `web_files`).

use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::web_files::is_served;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded_web.rs"));
}

/// The embedded file at `path` (below the demo's root, `index.html` for `/`).
pub fn file(path: &str) -> Option<&'static [u8]> {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    generated::FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

/// Whether the embedded demo includes its wasm package (built by scripts/build-web.sh
/// before the server was compiled); without it the page cannot start.
pub fn has_wasm_package() -> bool {
    generated::FILES
        .iter()
        .any(|(name, _)| name.ends_with(".wasm"))
}

/// Fallback handler: a file of the embedded demo, or the API's JSON 404.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path();
    let Some(bytes) = is_served(path).then(|| file(path)).flatten() else {
        return ApiError::not_found("not_found", "no such route or file").into_response();
    };
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(path)),
        ),
        // Revalidate each time: the service worker keeps its own offline copy.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, bytes).into_response()
}

fn content_type(path: &str) -> &'static str {
    match path
        .rsplit_once('.')
        .map_or("html", |(_, extension)| extension)
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "webmanifest" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_modules_are_embedded_and_nothing_else_of_the_directory() {
        assert!(file("/").is_some_and(|page| page.starts_with(b"<!doctype html>")));
        assert!(file("/js/main.js").is_some());
        assert!(file("/sw.js").is_some());
        for name in [
            "package.json",
            "README.md",
            "test/harness.mjs",
            "bench/rebase.mjs",
        ] {
            assert!(file(name).is_none(), "{name} must not be embedded");
        }
        assert_eq!(content_type("/pkg/order_wasm_bg.wasm"), "application/wasm");
    }
}
