//! Idempotency by command id: what a command id is bound to (its fingerprint), and the
//! answer a retry gets from the recorded outcome.

use crate::command::Command;
use crate::engine::{CommandOptions, CommandOutcome, EngineError};
use crate::store::CommandRecord;

/// The command as canonical JSON, so that reusing a command id for another command is
/// caught. `None` without a command id (nothing to bind).
pub(crate) fn fingerprint(command: &Command, options: &CommandOptions) -> Option<String> {
    options
        .command_id
        .as_ref()
        .and_then(|_| serde_json::to_string(command).ok())
}

/// The recorded outcome of an earlier call with the same command id, or
/// `IdempotencyKeyReused` when the id was used for a different command.
///
/// A create whose order id the host generated is a retry when it matches the record with
/// the recorded order id in place of the freshly generated one: every attempt generates
/// another id, and the first attempt's is the order that exists.
pub(crate) fn replay(
    record: CommandRecord,
    command: &Command,
    options: &CommandOptions,
) -> Result<CommandOutcome, EngineError> {
    let same_command = if options.order_id_generated {
        match command {
            Command::CreateOrder(create) => {
                let mut as_recorded = create.clone();
                as_recorded.order_id = record.order_id.clone();
                same_fingerprint(&record, &Command::CreateOrder(as_recorded), options)
            }
            _ => {
                record.order_id == command.order_id() && same_fingerprint(&record, command, options)
            }
        }
    } else {
        record.order_id == command.order_id() && same_fingerprint(&record, command, options)
    };
    if !same_command {
        return Err(EngineError::IdempotencyKeyReused {
            command_id: record.command_id,
        });
    }
    Ok(CommandOutcome {
        command_id: Some(record.command_id),
        order_id: record.order_id,
        version: record.version,
        positions: record.positions,
        events: Vec::new(),
        replayed: true,
    })
}

fn same_fingerprint(record: &CommandRecord, command: &Command, options: &CommandOptions) -> bool {
    match (&record.fingerprint, fingerprint(command, options)) {
        (Some(stored), Some(given)) => *stored == given,
        _ => true,
    }
}
