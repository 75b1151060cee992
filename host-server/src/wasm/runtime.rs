//! `WasmRuntime`: the core's decide/evolve/project run inside the guest component, each
//! call with a fuel budget and a memory limit. A call that traps, loops or hoards fails
//! alone with a `RuntimeError`; its instance is discarded and the next call gets a fresh one.

use order_core::{
    Command, Context, DomainError, DomainRuntime, Event, EventEnvelope, OrderState, OrderView,
    RuntimeError,
};
use wasmtime::{Store, Trap};

use super::bindings::{DecideError, OrderDomain};
use super::convert::{domain_error_from_guest, events_from_guest, from_guest, to_json};
use super::guest_module::GuestModule;
use super::sandbox::{MemoryLimitExceeded, SandboxLimits, SandboxState};

pub struct WasmRuntime {
    module: GuestModule,
    limits: SandboxLimits,
    reuse_instances: bool,
    live: Option<LiveInstance>,
    instantiations: u64,
    last_fuel_used: Option<u64>,
}

/// An instantiated guest and the store that owns its memory.
struct LiveInstance {
    store: Store<SandboxState>,
    domain: OrderDomain,
}

impl WasmRuntime {
    pub fn new(module: GuestModule) -> WasmRuntime {
        WasmRuntime::with_limits(module, SandboxLimits::default())
    }

    pub fn with_limits(module: GuestModule, limits: SandboxLimits) -> WasmRuntime {
        WasmRuntime {
            module,
            limits,
            reuse_instances: true,
            live: None,
            instantiations: 0,
            last_fuel_used: None,
        }
    }

    /// Whether a healthy instance serves the next call (the default) or every call gets a
    /// fresh one (stronger isolation between calls, at the price of an instantiation each).
    pub fn reuse_instances(mut self, reuse: bool) -> WasmRuntime {
        self.reuse_instances = reuse;
        self
    }

    pub fn module(&self) -> &GuestModule {
        &self.module
    }

    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// How many guest instances this runtime has created so far.
    pub fn instantiations(&self) -> u64 {
        self.instantiations
    }

    /// Fuel the last successful call consumed (for sizing [`SandboxLimits`]).
    pub fn last_fuel_used(&self) -> Option<u64> {
        self.last_fuel_used
    }

    fn live_instance(&mut self) -> Result<&mut LiveInstance, RuntimeError> {
        let live = match self.live.take() {
            Some(live) => live,
            None => self.instantiate()?,
        };
        Ok(self.live.insert(live))
    }

    fn instantiate(&mut self) -> Result<LiveInstance, RuntimeError> {
        let mut store = Store::new(self.module.engine(), SandboxState::new(&self.limits));
        store.limiter(|state| state);
        // Instantiation runs the guest's start code, so it is metered too.
        store
            .set_fuel(self.limits.fuel_per_call)
            .map_err(|e| RuntimeError(format!("cannot meter the guest: {e:#}")))?;
        let domain = self
            .module
            .pre()
            .instantiate(&mut store)
            .map_err(|e| failure("instantiation", e, self.limits.fuel_per_call))?;
        self.instantiations += 1;
        Ok(LiveInstance { store, domain })
    }

    /// Runs one guest export under a budget sized by its input.
    fn call<T>(
        &mut self,
        operation: &'static str,
        input_bytes: usize,
        run: impl FnOnce(&OrderDomain, &mut Store<SandboxState>) -> wasmtime::Result<T>,
    ) -> Result<T, RuntimeError> {
        let span = crate::telemetry::guest_call_span(operation, input_bytes);
        let _entered = span.enter();
        let fuel = self.limits.fuel_for(input_bytes);
        let reuse = self.reuse_instances;
        let recycle_above = self.limits.recycle_above_bytes;
        let live = self.live_instance()?;
        let outcome = live
            .store
            .set_fuel(fuel)
            .and_then(|()| run(&live.domain, &mut live.store));
        let fuel_used = match &outcome {
            Ok(_) => live
                .store
                .get_fuel()
                .ok()
                .map(|left| fuel.saturating_sub(left)),
            Err(_) => None,
        };
        let keep = outcome.is_ok() && reuse && live.store.data().memory_bytes() <= recycle_above;
        self.last_fuel_used = fuel_used;
        if let Some(used) = fuel_used {
            span.record("guest.fuel_used", used);
        }
        if outcome.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        if !keep {
            // A trapped instance may hold broken invariants; never call into it again.
            self.live = None;
        }
        outcome.map_err(|e| failure(operation, e, fuel))
    }

    fn evolve_chunk(
        &mut self,
        state: OrderState,
        events: &[Event],
    ) -> Result<OrderState, RuntimeError> {
        let state = to_json("state", &state)?;
        let events = events
            .iter()
            .map(|e| to_json("event", e))
            .collect::<Result<Vec<_>, _>>()?;
        let input_bytes = state.len() + events.iter().map(String::len).sum::<usize>();
        let evolved = self.call("evolve", input_bytes, |domain, store| {
            domain
                .order_domain_decider()
                .call_evolve(store, &state, &events)
        })?;
        let evolved = evolved.map_err(|problem| {
            RuntimeError(format!(
                "the guest could not decode what the host sent to evolve: {problem}"
            ))
        })?;
        from_guest("state", &evolved)
    }

    fn project_chunk(
        &mut self,
        view: Option<OrderView>,
        envelopes: &[EventEnvelope],
    ) -> Result<Option<OrderView>, RuntimeError> {
        let view = view.as_ref().map(|v| to_json("view", v)).transpose()?;
        let envelopes = envelopes
            .iter()
            .map(|e| to_json("envelope", e))
            .collect::<Result<Vec<_>, _>>()?;
        let input_bytes =
            view.as_ref().map_or(0, String::len) + envelopes.iter().map(String::len).sum::<usize>();
        let projected = self.call("project", input_bytes, |domain, store| {
            domain
                .order_domain_decider()
                .call_project(store, view.as_deref(), &envelopes)
        })?;
        let projected = projected.map_err(|problem| {
            RuntimeError(format!(
                "the guest could not decode what the host sent to project: {problem}"
            ))
        })?;
        projected.map(|v| from_guest("view", &v)).transpose()
    }
}

/// Events (or envelopes) folded per guest call.
const FOLD_CHUNK: usize = 512;

// The server moves runtimes between threads (e.g. into its writer).
const _: fn() = || {
    fn send<T: Send>() {}
    send::<WasmRuntime>();
};

/// Describes why a guest call failed, naming the limit it hit when it hit one.
fn failure(operation: &str, error: wasmtime::Error, fuel: u64) -> RuntimeError {
    if let Some(limit) = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<MemoryLimitExceeded>())
    {
        return RuntimeError(format!("guest {operation} stopped: {limit}"));
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => RuntimeError(format!(
            "guest {operation} ran out of fuel ({fuel} units): it did not finish within its budget"
        )),
        Some(trap) => RuntimeError(format!("guest {operation} trapped: {trap}")),
        None => RuntimeError(format!("guest {operation} failed: {error:#}")),
    }
}

impl DomainRuntime for WasmRuntime {
    fn decide(
        &mut self,
        state: &OrderState,
        command: &Command,
        ctx: &Context,
    ) -> Result<Result<Vec<Event>, DomainError>, RuntimeError> {
        let state = to_json("state", state)?;
        let command = to_json("command", command)?;
        let ctx = to_json("context", ctx)?;
        let input_bytes = state.len() + command.len() + ctx.len();
        let decided = self.call("decide", input_bytes, |domain, store| {
            domain
                .order_domain_decider()
                .call_decide(store, &state, &command, &ctx)
        })?;
        match decided {
            Ok(events) => events_from_guest(&events).map(Ok),
            Err(DecideError::Rejected(rejection)) => domain_error_from_guest(&rejection).map(Err),
            Err(DecideError::InvalidInput(problem)) => Err(RuntimeError(format!(
                "the guest could not decode what the host sent to decide: {problem}"
            ))),
        }
    }

    fn evolve(&mut self, state: OrderState, events: &[Event]) -> Result<OrderState, RuntimeError> {
        // A fold may be split anywhere: chunks bound the guest's memory per call however
        // long the stream (verify and replay hand over whole streams).
        if events.is_empty() {
            return self.evolve_chunk(state, events);
        }
        events
            .chunks(FOLD_CHUNK)
            .try_fold(state, |state, chunk| self.evolve_chunk(state, chunk))
    }

    fn project(
        &mut self,
        view: Option<OrderView>,
        envelopes: &[EventEnvelope],
    ) -> Result<Option<OrderView>, RuntimeError> {
        if envelopes.is_empty() {
            return self.project_chunk(view, envelopes);
        }
        envelopes
            .chunks(FOLD_CHUNK)
            .try_fold(view, |view, chunk| self.project_chunk(view, chunk))
    }

    fn module_hash(&self) -> Option<String> {
        Some(self.module.hash().to_string())
    }
}
