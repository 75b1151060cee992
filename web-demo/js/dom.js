// Small DOM helpers: build elements without innerHTML (no injection from event payloads)
// and show an error beside the control that caused it.

import { describeError, FIELD_FOR_CODE } from './messages.js';

export const $ = (selector) => document.querySelector(selector);

/** `el('li', {class: 'x', onclick: fn}, 'text', child)`: attributes, listeners, children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return node;
}

function errorSlot(name) {
  return document.querySelector(`[data-error-for="${name}"]`);
}

/**
 * Shows the reason beside the control named `name` (the stable code as `data-code`) and
 * ties it to the field it is about: `aria-invalid` and `aria-describedby` on that field.
 */
export function showError(name, error) {
  clearError(name);
  const slot = errorSlot(name);
  const { text, code } = describeError(error);
  slot.replaceChildren(text);
  slot.dataset.code = code;
  const field = document.getElementById(FIELD_FOR_CODE[code] ?? '');
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', slot.id);
  }
}

export function clearError(name) {
  const slot = errorSlot(name);
  slot.replaceChildren();
  delete slot.dataset.code;
  for (const field of document.querySelectorAll(`[aria-describedby="${slot.id}"]`)) {
    field.removeAttribute('aria-invalid');
    field.removeAttribute('aria-describedby');
  }
}

export function clearAllErrors() {
  for (const slot of document.querySelectorAll('[data-error-for]')) clearError(slot.dataset.errorFor);
}

export function formatTime(timestamp) {
  if (!timestamp) return '';
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? String(timestamp) : date.toLocaleString();
}

/**
 * Runs `render` and gives the focus back to the "same" control if rendering replaced it:
 * dynamic controls carry a `data-focus-key`, so polling never throws keyboard users out.
 */
export function preservingFocus(render) {
  const active = document.activeElement;
  const key = active?.dataset?.focusKey;
  render();
  if (key && !active.isConnected) {
    document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
  }
}
