//! The fault-injection suite of issue 10: crashes under load, a full disk, a locked
//! database, mixed writers on one file and a misbehaving guest, against the real binary.
//! Each scenario asserts the promise ("an acknowledged command is durable exactly once; a
//! rejected or failed one writes nothing; a client mistake is never a 5xx") and writes its
//! figures to a table that `scripts/test-faults.sh` collects into docs/reliability.md.
//!
//! Built only with the `fault-suite` feature, so `cargo test -p order-server` stays quick;
//! run it through `make test-faults` (long) or `scripts/test-faults.sh --short`.

#[path = "../support/mod.rs"]
mod support;

mod crash;
mod disk;
mod guest;
mod ledger;
mod lock;
mod report;
mod writers;
