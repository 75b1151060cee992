// The classes of the errors this package throws, exported beside the engine so that callers
// can write `error instanceof ConcurrencyError`. Each is a real Error (the stack is kept)
// with the core's stable `code`, and `details` where its kind has some. The Rust side
// (error.rs) builds every error through `makeError`.

export class DomainError extends Error {}
export class ConcurrencyError extends Error {}
export class IdempotencyError extends Error {}
export class InvalidInput extends Error {}
export class StoreError extends Error {}
export class RuntimeError extends Error {}

const KINDS = { DomainError, ConcurrencyError, IdempotencyError, InvalidInput, StoreError, RuntimeError };

export function makeError(name, code, message, details) {
  const error = new KINDS[name](message);
  error.name = name;
  error.code = code;
  if (details !== undefined) error.details = details;
  return error;
}
