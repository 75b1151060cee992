//! The reference server: the order domain decided inside a wasmtime sandbox, events in
//! SQLite or PostgreSQL, an HTTP API (axum) and a CLI. The binary (`main.rs`) only parses arguments;
//! everything lives here so integration tests and benchmarks can reuse it.

/// Every command allocates on the host: the strings of the state, view and events the
/// guest's values are lifted into and lowered from, JSON bodies, rows. mimalloc serves
/// those small, short-lived blocks from per-thread pages (issue 14's profile of a guest
/// call showed glibc's malloc, free and memmove at a third of the samples).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod app;
pub mod auth;
pub mod cli;
pub mod database;
pub mod embedded_web;
pub mod environment;
pub mod error;
pub mod extract;
pub mod failures;
pub mod feed;
pub mod folds;
pub mod guard;
pub mod guest;
pub mod limits;
pub mod listener;
pub mod metrics;
pub mod occupancy;
pub mod openapi;
pub mod openapi_limits;
pub mod queries;
pub mod rate_limit;
pub mod relay;
pub mod routes;
pub mod security;
pub mod server;
pub mod spin;
pub mod static_files;
pub mod subscribe;
pub mod telemetry;
pub mod wasm;
pub mod web_files;
pub mod writer;
