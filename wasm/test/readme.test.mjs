// The README's JavaScript example is wasm/examples/readme.mjs, copied verbatim; running it
// here keeps the README honest.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { here } from "./helpers.mjs";

const example = join(here, "..", "examples", "readme.mjs");

test("the README example runs and prints the seed's total, 109.97", () => {
  const output = execFileSync(process.execPath, [example], { encoding: "utf8" });
  assert.equal(output, "109.97\n");
});

test("the README example stays short enough to read at a glance", () => {
  const lines = readFileSync(example, "utf8").trimEnd().split("\n");
  assert.ok(lines.length <= 8, `${lines.length} lines`);
});
