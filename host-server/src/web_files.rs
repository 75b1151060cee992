//! Which files of the web demo's directory make up the built demo: the pages, styles,
//! scripts and the wasm package, never `node_modules`, tests, results or dotfiles. Used
//! when serving from a directory (`--web-dir`) and by build.rs when it embeds the demo.
//! Plain std only: build.rs includes this file.

/// Top-level entries of the demo directory that make up the built demo.
pub const SERVED_ROOTS: &[&str] = &["index.html", "styles.css", "sw.js", "js", "pkg"];
/// File types the demo is made of.
pub const SERVED_EXTENSIONS: &[&str] = &[
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
