/** Exact money as decimal text with two decimals, e.g. `"109.97"`. Never a float. */
export type Money = string;
/** An RFC 3339 timestamp in UTC, e.g. `"2026-01-01T10:00:00Z"`. */
export type Timestamp = string;
/**
 * A price as given by a caller: decimal text (`"29.99"`, preferred) or a JS number, read
 * through its shortest decimal form (so `29.99` means exactly 29.99 and `1.005` is
 * rejected with `invalid_price`, never rounded).
 */
export type PriceInput = string | number;

/** Options every command accepts. */
export interface CommandOptions {
  /** Idempotency key: a retry with the same id returns the first outcome and writes nothing. */
  commandId?: string;
  /** Optimistic concurrency: fail with `ConcurrencyError` unless the order is at this version. */
  expectedVersion?: number;
  /** Who asks; recorded in the events' metadata (and `createdBy`). */
  actor?: string;
  correlationId?: string;
  causationId?: string;
  /** When the user acted (RFC 3339), for a command queued and run later: the business time
   * (createdAt, placedAt, cancelledAt) of what it decides. `recordedAt` stays the commit time. */
  issuedAt?: Timestamp;
}

export interface CreateOrderInput extends CommandOptions {
  customerId: string;
  /** Defaults to a fresh UUID v7. */
  orderId?: string;
}
export interface AddItemInput extends CommandOptions {
  orderId: string;
  productId: string;
  /** A positive whole number (a JS number; not a string). */
  quantity: number;
  price: PriceInput;
}
export interface RemoveItemInput extends CommandOptions {
  orderId: string;
  productId: string;
  /** Units to remove; absent = the whole line. */
  quantity?: number;
}
export interface PlaceOrderInput extends CommandOptions {
  orderId: string;
}
export interface CancelOrderInput extends CommandOptions {
  orderId: string;
  reason?: string;
}

/** A command in its tagged JSON form, as the core, the server and the vectors speak it. */
export type Command =
  | { type: "CreateOrder"; orderId: string; customerId: string }
  | { type: "AddItem"; orderId: string; productId: string; quantity: number; price: PriceInput }
  | { type: "RemoveItem"; orderId: string; productId: string; quantity?: number }
  | { type: "PlaceOrder"; orderId: string }
  | { type: "CancelOrder"; orderId: string; reason?: string };
/** A tagged command with its options, for `OrderEngine.execute` (an offline queue entry). */
export type CommandWithOptions = Command & CommandOptions;

/** What a handled command did. */
export interface CommandResult {
  commandId?: string;
  orderId: string;
  /** The order's version after the command. */
  version: number;
  /** Global positions of the events written (empty for a no-op or a replay of one). */
  positions: number[];
  /**
   * The events written by this call; absent when none were (no-op or replay). Converted
   * from the engine's log on first read: read them before `free()`ing the engine.
   */
  events?: EventEnvelope[];
  /** True when this answers a retry of an earlier command with the same `commandId`. */
  replayed: boolean;
}

export interface OrderCreated {
  type: "OrderCreated";
  orderId: string;
  customerId: string;
  createdAt: Timestamp;
  createdBy?: string;
}
export interface ItemAdded {
  type: "ItemAdded";
  orderId: string;
  productId: string;
  quantity: number;
  price: Money;
}
export interface ItemRemoved {
  type: "ItemRemoved";
  orderId: string;
  productId: string;
  quantity: number;
}
export interface OrderPlaced {
  type: "OrderPlaced";
  orderId: string;
  customerId: string;
  total: Money;
  placedAt: Timestamp;
}
export interface OrderCancelled {
  type: "OrderCancelled";
  orderId: string;
  reason?: string;
  cancelledAt: Timestamp;
}
/** A domain event in today's schema, tagged by `type`. */
export type Event = OrderCreated | ItemAdded | ItemRemoved | OrderPlaced | OrderCancelled;
export type EventType = Event["type"];

export interface EventMetadata {
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  actor?: string;
  recordedAt: Timestamp;
  /** When the user acted, if the command said so (`CommandOptions.issuedAt`). */
  issuedAt?: Timestamp;
  /** Hash of the guest module that decided the event (server only). */
  moduleHash?: string;
}
interface EnvelopeOf<E extends Event> {
  /** UUID v7. */
  eventId: string;
  /** The order id. */
  streamId: string;
  /** 1-based position within the stream. */
  version: number;
  /** 1-based, gap-free position in the whole log. */
  position: number;
  type: E["type"];
  schemaVersion: number;
  /** The event's fields without `type`. */
  data: Omit<E, "type">;
  metadata: EventMetadata;
}
/** An event with its identity and place in the log, as stored and exported. */
export type EventEnvelope =
  | EnvelopeOf<OrderCreated>
  | EnvelopeOf<ItemAdded>
  | EnvelopeOf<ItemRemoved>
  | EnvelopeOf<OrderPlaced>
  | EnvelopeOf<OrderCancelled>;
/** A stored payload of any known schema version, e.g. a v1 `ItemAdded` with `unitPriceCents`. */
export interface StoredPayload {
  type: EventType;
  schemaVersion: number;
  data: Record<string, unknown>;
}
/** An envelope as stored by any host, possibly in an older schema; upcast on import. */
export interface StoredEvent extends StoredPayload {
  eventId: string;
  streamId: string;
  version: number;
  position: number;
  metadata?: EventMetadata;
}

export type OrderStatus = "draft" | "placed" | "cancelled";
export interface OrderItem {
  productId: string;
  quantity: number;
  /** Unit price. */
  price: Money;
}
/** An order as the write side folds it (`OrderState.order`). */
export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  /** Lines in the order they were first added. */
  items: OrderItem[];
  total: Money;
  createdAt: Timestamp;
  createdBy?: string;
  placedAt?: Timestamp;
  cancelledAt?: Timestamp;
  cancelReason?: string;
}
/** The state of one stream: how many events it holds and the order they built, if any. */
export interface OrderState {
  version: number;
  order: Order | null;
}
/** The read model of an order. */
export interface OrderView extends Order {
  /** Stream version of the last event folded in. */
  version: number;
  /** When that event was recorded. */
  updatedAt: Timestamp;
}
export interface OrderPage {
  orders: OrderView[];
  /** Pass back as `after` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/** What the host supplies to `decide`. */
export interface Context {
  now: Timestamp;
  actor?: string;
}
export interface GetOrderOptions {
  /** The view after this stream version (0 = before the first event). */
  version?: number;
  /** The view after every event recorded at or before this moment (inclusive). */
  at?: Timestamp | Date;
}
export interface ListOrdersOptions {
  /** A `nextCursor` from the previous page. */
  after?: string;
  /** Page size, 1..1000 (default 100). */
  limit?: number;
}

/** Codes of the domain's rules (`DomainError`); the same on every host. */
export type DomainErrorCode =
  | "order_already_exists"
  | "order_not_found"
  | "invalid_order_id"
  | "invalid_customer"
  | "invalid_product"
  | "order_not_draft"
  | "invalid_quantity"
  | "invalid_price"
  | "price_mismatch"
  | "item_not_found"
  | "empty_order"
  | "order_cancelled"
  | "too_many_lines"
  | "limit_exceeded"
  | "invalid_reason";
/** Codes of the host around the domain. */
export type HostErrorCode =
  | "concurrency_conflict"
  | "idempotency_key_reused"
  | "invalid_input"
  | "store_error"
  | "corrupt_store"
  | "runtime_error";
export type ErrorCode = DomainErrorCode | HostErrorCode;

/** A rule of the domain said no; `code` is the rule's. */
export class DomainError extends Error {
  readonly name: "DomainError";
  readonly code: DomainErrorCode;
  readonly details: { code: DomainErrorCode } & Record<string, unknown>;
}
/** `expectedVersion` did not match the order's version. */
export class ConcurrencyError extends Error {
  readonly name: "ConcurrencyError";
  readonly code: "concurrency_conflict";
  readonly details: { streamId: string; expected: number; actual: number };
}
/** A `commandId` was reused for a different command. */
export class IdempotencyError extends Error {
  readonly name: "IdempotencyError";
  readonly code: "idempotency_key_reused";
  readonly details: { commandId: string };
}
/** A missing field, a wrong type, an unusable option or log. */
export class InvalidInput extends Error {
  readonly name: "InvalidInput";
  readonly code: "invalid_input";
}
/** A failure of this package's store, not of the caller. */
export class StoreError extends Error {
  readonly name: "StoreError";
  readonly code: "store_error" | "corrupt_store";
}
/** A failure of this package's runtime, not of the caller. */
export class RuntimeError extends Error {
  readonly name: "RuntimeError";
  readonly code: "runtime_error";
}

/**
 * Every error this package throws: an instance of one of the classes above (so
 * `error instanceof ConcurrencyError` works), a real `Error` with a stable `code`, whose
 * `name` also tells the kind apart.
 */
export type OrderError = DomainError | ConcurrencyError | IdempotencyError | InvalidInput | StoreError | RuntimeError;
