// A customer's page on a server whose log holds 100,000 events of other customers: the
// first sign-in looks through the whole log once; a reload is usable from what the page
// stored and reads only what is new; live updates cost in proportion to the new events.
// The figures are printed (this is a measurement, not a timing assert).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { api, launchBrowser, openApp, serverBin, startServer } from './harness.mjs';

const OTHER_ORDERS = 25_000; // x 4 events = 100,000 events of other customers
const CARA = { user: 'cara', role: 'customer', customer: 'cara' };

/** The stored log as `order-server import` reads it: one stored event per line. */
function generateLog() {
  const lines = [];
  const start = Date.parse('2026-01-01T00:00:00Z');
  let tick = 0;
  const event = (streamId, version, type, schemaVersion, data) => {
    tick += 1;
    const recordedAt = new Date(start + tick * 10).toISOString();
    lines.push(JSON.stringify({ eventId: crypto.randomUUID(), streamId, version, type, schemaVersion, data, metadata: { recordedAt } }));
    return recordedAt;
  };
  const order = (orderId, customerId, products, place) => {
    const createdAt = new Date(start + (tick + 1) * 10).toISOString();
    event(orderId, 1, 'OrderCreated', 1, { orderId, customerId, createdAt });
    products.forEach((productId, i) => event(orderId, i + 2, 'ItemAdded', 2, { orderId, productId, quantity: 1, price: '1.50' }));
    if (place) {
      const placedAt = new Date(start + (tick + 1) * 10).toISOString();
      event(orderId, products.length + 2, 'OrderPlaced', 1, { orderId, customerId, total: (1.5 * products.length).toFixed(2), placedAt });
    }
  };
  for (let i = 0; i < OTHER_ORDERS; i += 1) {
    if (i === 10) order('cara-early', 'cara', ['tea'], false);
    if (i === OTHER_ORDERS / 2) order('cara-middle', 'cara', ['jam'], false);
    order(`other-${i}`, `customer-${i % 500}`, ['widget', 'gadget'], true);
  }
  return `${lines.join('\n')}\n`;
}

/** Milliseconds `work` takes. */
async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** Waits for a sync (push and pull) to have completed since the page loaded. */
async function synced(page) {
  await page.waitForFunction(() => document.querySelector('#last-sync')?.textContent.startsWith('Last synced'), null, { timeout: 60_000 });
}

async function linesOf(page, orderId, count) {
  await page.locator(`#order-list [data-order-id="${orderId}"] .lines`).filter({ hasText: `${count} line` }).waitFor({ timeout: 30_000 });
}

test("a customer's page stays quick with 100,000 events of other customers in the log", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'order-web-scale-'));
  const log = path.join(dir, 'log.jsonl');
  await writeFile(log, generateLog());
  const importing = performance.now();
  const imported = spawnSync(serverBin, ['import', '--db', path.join(dir, 'orders.db'), log], { encoding: 'utf8' });
  assert.equal(imported.status, 0, imported.stderr);
  const importMs = performance.now() - importing;
  const server = await startServer({ dir });
  const browser = await launchBrowser();
  try {
    const figures = {};
    let page;
    let context;
    figures.firstSignIn = await timed(async () => {
      ({ page, context } = await openApp(browser, server.url, { as: CARA }));
      await linesOf(page, 'cara-middle', 1);
    });
    figures.firstSync = figures.firstSignIn + (await timed(() => synced(page)));
    assert.equal(await page.locator('#order-list li').count(), 2, 'only her own two orders');

    const reads = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/events')) reads.push(`${url.pathname}${url.search}`);
    });
    figures.reload = await timed(async () => {
      await page.reload();
      await linesOf(page, 'cara-middle', 1);
    });
    figures.reloadSync = figures.reload + (await timed(() => synced(page)));
    const logEnd = OTHER_ORDERS * 4 + 4; // the others' events and her four
    assert.ok(
      reads.every((read) => !/after=0\b/.test(read)),
      `a reload never reads the log from the start: ${reads.join(', ')}`,
    );
    assert.ok(reads.some((read) => read.includes(`after=${logEnd}`)), `reads start at the end: ${reads.join(', ')}`);

    // New events on her order, made elsewhere: the live feed brings them.
    for (const count of [5, 50]) {
      const before = (await api(server.url, '/orders/cara-middle')).body.items.length;
      figures[`live${count}`] = await timed(async () => {
        for (let i = 0; i < count; i += 1) {
          const added = await api(server.url, '/orders/cara-middle/items', {
            method: 'POST',
            body: { productId: `p-${count}-${i}`, quantity: 1, price: '0.10' },
          });
          assert.equal(added.status, 200, JSON.stringify(added.body));
        }
        await linesOf(page, 'cara-middle', before + count);
      });
    }
    const written = {};
    for (const count of [5, 50]) {
      written[count] = await timed(async () => {
        for (let i = 0; i < count; i += 1) {
          await api(server.url, '/orders/cara-early/items', { method: 'POST', body: { productId: `w-${count}-${i}`, quantity: 1, price: '0.10' } });
        }
      });
    }
    await linesOf(page, 'cara-early', 56);
    const round = (ms) => `${Math.round(ms)} ms`;
    console.log(
      [
        `scale figures (debug server, ${OTHER_ORDERS * 4} events of others; import ${round(importMs)}):`,
        `  first sign-in until her orders show: ${round(figures.firstSignIn)}; until the whole log was looked through: ${round(figures.firstSync)}`,
        `  reload until her orders show: ${round(figures.reload)}; until synced: ${round(figures.reloadSync)} (reads: ${reads.join(', ')})`,
        `  5 new events written and shown live: ${round(figures.live5)} (writing alone: ${round(written[5])})`,
        `  50 new events written and shown live: ${round(figures.live50)} (writing alone: ${round(written[50])})`,
      ].join('\n'),
    );
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
