//! The browser's clock and id source for the engine: `Date` for time, UUID v7 with
//! randomness from `crypto.getRandomValues`. The core itself never reads either.

use chrono::{DateTime, Utc};
use order_core::Environment;
use uuid::{Builder, Uuid};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["globalThis", "crypto"], js_name = getRandomValues, catch)]
    fn get_random_values(buffer: &mut [u8]) -> Result<(), JsValue>;
}

/// Random bytes drawn per `getRandomValues` call. Each call crosses into JS and allocates
/// a typed array; one call per id was a tenth of the engine's time per command.
const POOL_SIZE: usize = 4096;
/// Random bytes in a UUID v7 after its 48-bit millisecond timestamp (version and variant
/// bits are overwritten by the builder).
const ID_RANDOM_BYTES: usize = 10;

#[derive(Debug, Clone)]
pub struct BrowserEnv {
    last: Option<DateTime<Utc>>,
    pool: Vec<u8>,
    used: usize,
}

impl Default for BrowserEnv {
    fn default() -> Self {
        BrowserEnv {
            last: None,
            pool: vec![0; POOL_SIZE],
            used: POOL_SIZE,
        }
    }
}

impl BrowserEnv {
    /// A UUID v7 (RFC 9562) for a fresh order: the current millisecond, then 74 random bits.
    pub(crate) fn new_id(&mut self) -> Uuid {
        let now = self.now();
        self.id_at(now)
    }

    fn id_at(&mut self, time: DateTime<Utc>) -> Uuid {
        let millis = u64::try_from(time.timestamp_millis()).unwrap_or(0);
        if self.used + ID_RANDOM_BYTES > self.pool.len() {
            // Every supported host (browsers, Node >= 20) has Web Crypto; without it there
            // is no safe source of ids, so failing loudly is right.
            get_random_values(&mut self.pool).expect_throw("crypto.getRandomValues is unavailable");
            self.used = 0;
        }
        let mut random = [0; ID_RANDOM_BYTES];
        random.copy_from_slice(&self.pool[self.used..self.used + ID_RANDOM_BYTES]);
        self.used += ID_RANDOM_BYTES;
        Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}

impl Environment for BrowserEnv {
    fn now(&mut self) -> DateTime<Utc> {
        // Temporal queries (`getOrder(id, {at})`) take a prefix of the stream by
        // `recordedAt`, so recorded times must never go backwards, even if the wall clock does.
        let now = Utc::now().max(self.last.unwrap_or(DateTime::<Utc>::MIN_UTC));
        self.last = Some(now);
        now
    }

    fn new_event_id(&mut self) -> Uuid {
        // The engine reads the clock once per commit (`recordedAt`) and then asks for the
        // events' ids: stamping them with that same moment keeps id and record consistent.
        match self.last {
            Some(recorded_at) => self.id_at(recorded_at),
            None => self.new_id(),
        }
    }
}
