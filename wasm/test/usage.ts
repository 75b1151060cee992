// A typed tour of the public surface, checked by `tsc --noEmit` (scripts/test-wasm.sh).
// It only has to type-check: a wrong field, a missing field or an `any` leaking into the
// declarations would fail the build. Lines marked @ts-expect-error must stay errors.
import {
  ConcurrencyError,
  DomainError,
  OrderEngine,
  decide,
  domainErrorCodes,
  evolve,
  evolveAll,
  initialState,
  isOrderError,
  project,
  upcast,
} from "order-wasm";
import type {
  Command,
  CommandResult,
  Context,
  DomainErrorCode,
  ErrorCode,
  Event,
  EventEnvelope,
  Money,
  OrderPage,
  OrderState,
  OrderView,
} from "order-wasm";

const engine = new OrderEngine();
const created: CommandResult = engine.createOrder({ customerId: "customer-123", commandId: "c-1" });
const orderId: string = created.orderId;
engine.addItem({ orderId, productId: "product-456", quantity: 2, price: "29.99", expectedVersion: created.version });
engine.addItem({ orderId, productId: "product-789", quantity: 1, price: 49.99 });
engine.removeItem({ orderId, productId: "product-789" });
engine.removeItem({ orderId, productId: "product-456", quantity: 1 });
engine.placeOrder({ orderId });
engine.cancelOrder({ orderId, reason: "changed my mind", actor: "alice" });
engine.execute({ type: "CancelOrder", orderId, commandId: "c-2" });

// @ts-expect-error quantity is a number, not a string
engine.addItem({ orderId, productId: "p", quantity: "2", price: "1.00" });
// @ts-expect-error price is required
engine.addItem({ orderId, productId: "p", quantity: 2 });
// @ts-expect-error customerId is required
engine.createOrder({ orderId: "o-1" });

const view: OrderView | null = engine.getOrder(orderId);
if (view !== null) {
  const total: Money = view.total;
  const status: "draft" | "placed" | "cancelled" = view.status;
  const firstPrice: string | undefined = view.items[0]?.price;
  console.log(total, status, firstPrice, view.updatedAt, view.cancelReason ?? "");
}
engine.getOrder(orderId, { version: 2 });
engine.getOrder(orderId, { at: new Date() });
engine.getOrder(orderId, { at: "2026-01-01T10:00:00Z" });

const page: OrderPage = engine.listOrders("customer-123", { limit: 10 });
const next: string | null = page.nextCursor;
if (next !== null) engine.listOrders("customer-123", { after: next });

const log: EventEnvelope[] = engine.exportEvents();
for (const envelope of log) {
  // Envelopes are a union discriminated by `type`; data is typed per event.
  if (envelope.type === "OrderPlaced") {
    const placedTotal: Money = envelope.data.total;
    console.log(placedTotal, envelope.metadata.recordedAt, envelope.position);
  }
}
const restored: OrderEngine = OrderEngine.fromEvents(log);
restored.allEvents(0, 100);
restored.events(orderId);
const position: number = restored.lastPosition;
console.log(position);

try {
  engine.placeOrder({ orderId: "missing" });
} catch (e: unknown) {
  if (isOrderError(e)) {
    const code: ErrorCode = e.code;
    if (e.name === "ConcurrencyError") {
      const actual: number = e.details.actual;
      console.log(actual);
    } else if (e.name === "DomainError") {
      const domainCode: DomainErrorCode = e.code;
      console.log(domainCode, e.details);
    }
    console.log(code, e.message);
  }
}

try {
  engine.placeOrder({ orderId: "missing", expectedVersion: 9 });
} catch (e: unknown) {
  if (e instanceof ConcurrencyError) {
    const expected: number = e.details.expected;
    console.log(expected, e.stack);
  } else if (e instanceof DomainError) {
    const domainCode: DomainErrorCode = e.code;
    console.log(domainCode);
  }
}

// Pure functions for callers with their own storage.
const context: Context = { now: "2026-01-01T10:00:00Z", actor: "tester" };
const command: Command = { type: "CreateOrder", orderId: "o-1", customerId: "c-1" };
const events: Event[] = decide(initialState(), command, context);
const state: OrderState = events.reduce(evolve, initialState());
const same: OrderState = evolveAll(initialState(), events);
const upcasted: Event = upcast({
  type: "ItemAdded",
  schemaVersion: 1,
  data: { orderId: "o-1", productId: "p", quantity: 2, unitPriceCents: 2999 },
});
const projected: OrderView | null = project(null, log[0]!);
const codes: DomainErrorCode[] = domainErrorCodes();
console.log(state.version, same.order?.customerId, upcasted.type, projected?.id, codes.length);
