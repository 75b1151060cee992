//! Domain tests as histories: `given(events).when(command).then(events)` or
//! `.then_error(code)`. Used by the unit tests, the shared vectors and the property tests.

pub mod vectors;

use chrono::{DateTime, TimeZone, Utc};

use crate::command::Command;
use crate::context::Context;
use crate::decide::decide;
use crate::error::DomainError;
use crate::event::Event;
use crate::state::{evolve_all, initial_state, OrderState};

/// The context used by specifications unless they set their own.
pub fn default_context() -> Context {
    Context {
        now: test_time(),
        actor: Some("tester".into()),
    }
}

/// 2026-01-01T10:00:00Z.
pub fn test_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn given(history: impl IntoIterator<Item = Event>) -> Given {
    Given {
        history: history.into_iter().collect(),
        ctx: default_context(),
    }
}

pub struct Given {
    history: Vec<Event>,
    ctx: Context,
}

impl Given {
    pub fn at(mut self, ctx: Context) -> Self {
        self.ctx = ctx;
        self
    }

    pub fn state(&self) -> OrderState {
        evolve_all(initial_state(), &self.history)
    }

    pub fn when(self, command: Command) -> When {
        let state = self.state();
        let result = decide(&state, &command, &self.ctx);
        When { result }
    }
}

pub struct When {
    result: Result<Vec<Event>, DomainError>,
}

impl When {
    pub fn result(&self) -> &Result<Vec<Event>, DomainError> {
        &self.result
    }

    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = Event>) {
        let expected: Vec<Event> = expected.into_iter().collect();
        match self.result {
            Ok(events) => assert_eq!(events, expected, "decided events differ"),
            Err(e) => panic!("expected events {expected:?}, got error {} ({e})", e.code()),
        }
    }

    #[track_caller]
    pub fn then_error(self, code: &str) {
        match self.result {
            Ok(events) => panic!("expected error `{code}`, got events {events:?}"),
            Err(e) => assert_eq!(e.code(), code, "wrong error: {e}"),
        }
    }
}
