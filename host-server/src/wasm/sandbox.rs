//! What one guest call may consume (fuel, linear memory) and how the store enforces it.

use wasmtime::ResourceLimiter;

/// Budgets for each call into the guest. Fuel counts executed wasm instructions (roughly),
/// so a guest that loops is stopped deterministically, independent of machine speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Upper bound on the guest's linear memory.
    pub max_memory_bytes: usize,
    /// Fuel every call gets, whatever its input.
    pub fuel_per_call: u64,
    /// Extra fuel per value handed to the guest (an event, an order line), so long streams
    /// (replay, rebuild) get a budget proportional to their work while a loop is still cut
    /// short.
    pub fuel_per_input_value: u64,
    /// After a call leaves the guest's memory above this size, the instance is dropped and
    /// the next call starts from a fresh one, so one large replay does not pin memory.
    pub recycle_above_bytes: usize,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            max_memory_bytes: 64 << 20,
            // Measured (scripts/bench-guest.sh prints it): a whole AddItem on a 10-line order
            // and a fold use far less than a tenth of these (the bench prints the figures).
            // The budget leaves a wide margin and still stops a loop within milliseconds.
            fuel_per_call: 20_000_000,
            fuel_per_input_value: 1_000_000,
            recycle_above_bytes: 16 << 20,
        }
    }
}

impl SandboxLimits {
    /// The fuel for one call that hands the guest `input_values` values.
    pub fn fuel_for(&self, input_values: usize) -> u64 {
        let input_values = u64::try_from(input_values).unwrap_or(u64::MAX);
        self.fuel_per_call
            .saturating_add(self.fuel_per_input_value.saturating_mul(input_values))
    }
}

/// The guest tried to grow its memory past [`SandboxLimits::max_memory_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("guest memory limit of {limit} bytes exceeded (it asked for {desired} bytes)")]
pub struct MemoryLimitExceeded {
    pub limit: usize,
    pub desired: usize,
}

/// Per-store host state: the memory limiter and what the guest currently holds.
pub struct SandboxState {
    max_memory_bytes: usize,
    memory_bytes: usize,
}

impl SandboxState {
    pub fn new(limits: &SandboxLimits) -> Self {
        SandboxState {
            max_memory_bytes: limits.max_memory_bytes,
            memory_bytes: 0,
        }
    }

    /// The guest's current linear memory size.
    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }
}

impl ResourceLimiter for SandboxState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.max_memory_bytes {
            // An error (not `Ok(false)`) traps at once with a message naming the limit,
            // instead of leaving the guest's allocator to abort without one.
            return Err(MemoryLimitExceeded {
                limit: self.max_memory_bytes,
                desired,
            }
            .into());
        }
        self.memory_bytes = desired;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // The guest's tables hold function references only; a few thousand is plenty.
        Ok(desired <= 10_000)
    }

    fn instances(&self) -> usize {
        // The component and the core instances it is made of.
        16
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }
}
