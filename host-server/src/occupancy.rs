//! How many requests the server is serving right now, so a handler can tell whether it is
//! alone (and may spend its thread waiting actively, see [`crate::writer::Waiting`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::writer::Waiting;

#[derive(Debug, Clone, Default)]
pub struct Occupancy(Arc<AtomicUsize>);

impl Occupancy {
    /// Requests in the server at this moment, the caller's own included.
    pub fn current(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// How a handler should wait for its commit: actively when it is the only request.
    pub fn waiting(&self) -> Waiting {
        if self.current() <= 1 {
            Waiting::Spin
        } else {
            Waiting::Park
        }
    }

    fn enter(&self) -> Present<'_> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Present(self)
    }
}

/// One request's presence; leaves on drop, so a request whose future is dropped (client
/// gone, timeout) is not counted forever.
struct Present<'a>(&'a Occupancy);

impl Drop for Present<'_> {
    fn drop(&mut self) {
        self.0 .0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Middleware: counts the request as present while it is being served.
pub async fn track(State(occupancy): State<Occupancy>, request: Request, next: Next) -> Response {
    let _present = occupancy.enter();
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alone_spins_and_company_parks() {
        let occupancy = Occupancy::default();
        let first = occupancy.enter();
        assert_eq!(occupancy.waiting(), Waiting::Spin);
        let second = occupancy.enter();
        assert_eq!(occupancy.current(), 2);
        assert_eq!(occupancy.waiting(), Waiting::Park);
        drop(second);
        assert_eq!(occupancy.waiting(), Waiting::Spin);
        drop(first);
        assert_eq!(occupancy.current(), 0);
    }
}
