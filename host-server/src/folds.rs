//! The guest on the read side. Temporal views (`?version=`, `?at=`) fold through the same
//! guest that decides and keeps the current views, so a swapped guest (`--guest`) never
//! disagrees with itself. Runtimes are kept for reuse, one per read running at once.

use std::sync::{Arc, Mutex};

use order_core::{history_as_of, AsOf, DomainRuntime, EngineError, EventEnvelope, OrderView};

use crate::error::ApiError;
use crate::wasm::{GuestModule, WasmRuntime};

/// Idle runtimes kept; more are made under load and dropped afterwards.
const MAX_IDLE: usize = 4;

#[derive(Clone)]
pub struct Folds {
    guest: GuestModule,
    idle: Arc<Mutex<Vec<WasmRuntime>>>,
}

impl Folds {
    pub fn new(guest: GuestModule) -> Self {
        Folds {
            guest,
            idle: Arc::default(),
        }
    }

    /// The view of a stream (its envelopes, ordered by version) as of a version or moment.
    /// Blocking: call it off the async threads, as the store reads are.
    pub fn view_as_of(
        &self,
        envelopes: &[EventEnvelope],
        as_of: AsOf,
    ) -> Result<Option<OrderView>, ApiError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut runtime = idle.unwrap_or_else(|| WasmRuntime::new(self.guest.clone()));
        let view = runtime
            .project(None, history_as_of(envelopes, as_of))
            .map_err(|e| ApiError::from(EngineError::Runtime(e)))?;
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(runtime);
            }
        }
        Ok(view)
    }
}
