// Shared by the tests: the built Node package, the shared vectors, and error assertions.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const vectorsDir = join(here, "..", "..", "tests", "vectors");

export function loadVectors() {
  return readdirSync(vectorsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(vectorsDir, file), "utf8")) }));
}

/**
 * Runs `fn`, which must throw a real Error carrying `code` (and `name`, if given).
 * A WebAssembly trap (RuntimeError: unreachable) or a thrown string fails the assertion.
 */
export function assertThrowsCode(fn, code, name) {
  let thrown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `expected an error with code ${code}, nothing was thrown`);
  assert.ok(thrown instanceof Error, `expected an Error, got ${typeof thrown}: ${String(thrown)}`);
  assert.ok(!(thrown instanceof WebAssembly.RuntimeError), `the module trapped: ${thrown.message}`);
  assert.equal(thrown.code, code, `code of: ${thrown.message}`);
  assert.equal(typeof thrown.message, "string");
  assert.ok(thrown.message.length > 0, "the error has a message");
  if (name !== undefined) assert.equal(thrown.name, name);
  return thrown;
}
