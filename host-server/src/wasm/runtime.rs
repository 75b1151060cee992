//! `WasmRuntime`: the core's commands and folds run inside the guest component, each call
//! with a fuel budget and a memory limit. A call that traps, loops or hoards fails
//! alone with a `RuntimeError`; its instance is discarded and the next call gets a fresh one.

use chrono::{DateTime, Utc};
use order_core::{
    Command, Context, Decision, DomainError, DomainRuntime, Event, EventEnvelope, OrderState,
    OrderView, RuntimeError,
};
use wasmtime::{Store, Trap};

use super::bindings::typed::{timestamp, ToCore};
use super::bindings::{wit, OrderDomain};
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

    /// Runs one guest export under a budget sized by its input (values handed over: events,
    /// order lines).
    fn call<T>(
        &mut self,
        operation: &'static str,
        input_values: usize,
        run: impl FnOnce(&OrderDomain, &mut Store<SandboxState>) -> wasmtime::Result<T>,
    ) -> Result<T, RuntimeError> {
        let span = crate::telemetry::guest_call_span(operation, input_values);
        let _entered = span.enter();
        let fuel = self.limits.fuel_for(input_values);
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
        let input_values = values_in(Some(&state)) + events.len();
        let state = wit::OrderState::from(state);
        let events: Vec<wit::Event> = events.iter().cloned().map(Into::into).collect();
        let evolved = self.call("evolve", input_values, |domain, store| {
            domain
                .order_domain_decider()
                .call_evolve(store, &state, &events)
        })?;
        evolved
            .map_err(|problem| {
                RuntimeError(format!(
                    "the guest could not take what the host sent to evolve: {problem}"
                ))
            })?
            .to_core()
            .map_err(|e| undecodable("state", e))
    }

    fn project_chunk(
        &mut self,
        view: Option<OrderView>,
        envelopes: &[EventEnvelope],
    ) -> Result<Option<OrderView>, RuntimeError> {
        let input_values = view.as_ref().map_or(0, |v| v.items.len() + 1) + envelopes.len();
        let view = view.map(wit::OrderView::from);
        let events: Vec<wit::RecordedEvent> = envelopes
            .iter()
            .map(|envelope| wit::RecordedEvent {
                event: envelope.event.clone().into(),
                version: envelope.version,
                recorded_at: timestamp(envelope.metadata.recorded_at),
            })
            .collect();
        let projected = self.call("project", input_values, |domain, store| {
            domain
                .order_domain_decider()
                .call_project(store, view.as_ref(), &events)
        })?;
        projected
            .map_err(|problem| {
                RuntimeError(format!(
                    "the guest could not take what the host sent to project: {problem}"
                ))
            })?
            .to_core()
            .map_err(|e| undecodable("view", e))
    }
}

/// How many values a state hands the guest (for its fuel budget).
fn values_in(state: Option<&OrderState>) -> usize {
    state.map_or(0, |s| 1 + s.order.as_ref().map_or(0, |o| o.items.len()))
}

fn undecodable(what: &str, problem: String) -> RuntimeError {
    RuntimeError(format!(
        "the guest returned an undecodable {what}: {problem}"
    ))
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
    fn handle(
        &mut self,
        state: OrderState,
        view: Option<OrderView>,
        command: &Command,
        ctx: &Context,
        recorded_at: DateTime<Utc>,
    ) -> Result<Result<Decision, DomainError>, RuntimeError> {
        let input_values = values_in(Some(&state)) + view.as_ref().map_or(0, |v| v.items.len()) + 1;
        let state = wit::OrderState::from(state);
        let view = view.map(wit::OrderView::from);
        let command = wit::Command::from(command.clone());
        let ctx = wit::Context::from(ctx.clone());
        let recorded_at = timestamp(recorded_at);
        let handled = self.call("handle", input_values, |domain, store| {
            domain.order_domain_decider().call_handle(
                store,
                &state,
                view.as_ref(),
                &command,
                &ctx,
                recorded_at,
            )
        })?;
        match handled {
            Ok(decision) => Ok(Ok(Decision {
                events: decision
                    .events
                    .to_core()
                    .map_err(|e| undecodable("event", e))?,
                state: decision
                    .state
                    .to_core()
                    .map_err(|e| undecodable("state", e))?,
                view: decision
                    .view
                    .to_core()
                    .map_err(|e| undecodable("view", e))?,
            })),
            Err(wit::DecideError::Rejected(rejection)) => Ok(Err(rejection.into())),
            Err(wit::DecideError::InvalidInput(problem)) => Err(RuntimeError(format!(
                "the guest could not take what the host sent to handle: {problem}"
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
