// Readable text for the stable error codes of the core and the server. Where the core's
// message names the actual problem (which limit, which value), that message is shown; the
// stable code is kept on the element (`data-code`), not in the text people read or hear.

const FRIENDLY = {
  order_already_exists: 'An order with this id already exists.',
  order_not_found: 'This order does not exist (any more).',
  invalid_order_id: 'The order id is not valid.',
  invalid_customer: 'Enter a customer first.',
  invalid_product: 'Enter a product.',
  order_not_draft: 'Only a draft order can be changed; this one is already placed or cancelled.',
  invalid_quantity: 'The quantity must be a whole number above zero (and not more than the order holds).',
  invalid_price: 'The price must be zero or more, with at most two decimals.',
  price_mismatch: 'This product is already in the order at a different unit price.',
  item_not_found: 'This product is not in the order.',
  empty_order: 'Add at least one item before placing the order.',
  order_cancelled: 'The order was cancelled; it cannot be placed.',
  too_many_lines: 'The order has reached its maximum number of lines.',
  limit_exceeded: 'That would exceed the order\'s limits (quantity or total).',
  invalid_reason: 'The cancellation reason is too long or not valid.',
  concurrency_conflict: 'Someone else changed this order at the same time; try again.',
  idempotency_key_reused: 'This command id was already used for a different command.',
  invalid_input: 'Some input is missing or has the wrong form.',
  server_unavailable: 'The server cannot be reached; the change is kept and will sync later.',
};

/** Codes whose message from the core says precisely what is wrong with the value given. */
const SPECIFIC = new Set([
  'invalid_order_id', 'invalid_product', 'invalid_quantity', 'invalid_price', 'price_mismatch',
  'limit_exceeded', 'invalid_reason', 'too_many_lines',
]);

/** `{text, code, detail}` for any thrown value (core Errors carry `.code`). */
export function describeError(error) {
  const code = error?.code ?? 'unexpected_error';
  const detail = error?.message ?? String(error);
  const text = SPECIFIC.has(code) && error?.message ? sentence(detail) : FRIENDLY[code] ?? detail;
  return { text, code, detail };
}

/** `invalid quantity: 0 ...` -> `Invalid quantity: 0 ....` */
function sentence(message) {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The form control an error code is about, by its id (none: the error is about the action). */
export const FIELD_FOR_CODE = {
  invalid_customer: 'customer',
  invalid_product: 'product',
  invalid_quantity: 'quantity',
  invalid_price: 'price',
  price_mismatch: 'price',
  invalid_reason: 'cancel-reason',
};

/** A one-line summary of a queued command, for the pending and rejected lists. */
export function describeCommand(command) {
  const order = shortId(command.orderId);
  switch (command.type) {
    case 'CreateOrder':
      return `Create order ${order} for ${command.customerId}`;
    case 'AddItem':
      return `Add ${command.quantity} × ${command.productId} at ${command.price} to ${order}`;
    case 'RemoveItem':
      return command.quantity === undefined
        ? `Remove ${command.productId} from ${order}`
        : `Remove ${command.quantity} × ${command.productId} from ${order}`;
    case 'PlaceOrder':
      return `Place order ${order}`;
    case 'CancelOrder':
      return `Cancel order ${order}${command.reason ? ` (“${command.reason}”)` : ''}`;
    default:
      return `${command.type} ${order}`;
  }
}

/** The last block of a UUID: enough to tell a customer's orders apart on screen. */
export function shortId(id) {
  return id ? `…${String(id).slice(-6)}` : '';
}
