// Test harness: a real order-server (temp database, free loopback port, serving web-demo/)
// and Debian's headless Chromium driven by playwright-core, plus page helpers that wait for
// the UI to reach an exact state (no sleeps, no timing assertions).

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '..');
const repoRoot = path.resolve(webDir, '..');
export const serverBin = path.resolve(webDir, process.env.ORDER_SERVER_BIN ?? path.join(repoRoot, 'target/debug/order-server'));
const resultsDir = path.join(webDir, 'test-results');
const WAIT_MS = 15_000;

/**
 * Starts order-server (by default on a free port with a new database) and resolves once it
 * prints the address it bound. `stop()` removes the database unless `keepDb`.
 */
export async function startServer({ dir, listen = '127.0.0.1:0', keepDb = false, env = {} } = {}) {
  dir ??= await mkdtemp(path.join(tmpdir(), 'order-web-test-'));
  const child = spawn(
    serverBin,
    // As `make run` does: tokens from POST /dev/token, which the page signs in through.
    ['serve', '--db', path.join(dir, 'orders.db'), '--listen', listen, '--web-dir', webDir, '--dev-auth'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...env } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/\S+)/);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`order-server exited with ${code} before listening:\n${stderr}`)));
    child.on('error', reject);
  });
  return {
    url,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepDb) await rm(dir, { recursive: true, force: true });
    },
    /** Ends the process at once (SIGKILL), as a power cut or a dead host would; the
     * database stays in `dir` for a server started on it again. */
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * A fresh browser context (its own IndexedDB) with the app loaded and ready. Uncaught page
 * errors are collected in `pageErrors` so that tests can assert there were none.
 */
export async function openApp(browser, url, { as = CLERK } = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  await page.goto(url);
  await waitReady(page);
  if (as) await signIn(page, as);
  return { context, page, pageErrors };
}

/** Who the browser tests act as unless they say otherwise. */
export const CLERK = { user: 'clerk-1', role: 'clerk' };

/** Signs in through the page's form, as a user does. */
export async function signIn(page, { user, role, customer }) {
  await page.locator('#sign-in').waitFor({ timeout: WAIT_MS });
  await page.getByLabel('User', { exact: true }).fill(user);
  await page.getByLabel('Role', { exact: true }).selectOption(role);
  if (customer) await page.getByLabel(/^Customer id/, { exact: false }).first().fill(customer);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('body[data-signed-in="true"]').waitFor({ timeout: WAIT_MS });
}

export async function waitReady(page) {
  await page.locator('body[data-ready="true"]').waitFor({ timeout: WAIT_MS });
}

/** Waits until the service worker controls the page, so a reload works without network. */
export async function waitOfflineShell(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: WAIT_MS });
}

/** Waits until `selector`'s trimmed text equals `expected`; fails showing the last text seen. */
export async function expectText(page, selector, expected) {
  try {
    await page.waitForFunction(
      ([sel, text]) => document.querySelector(sel)?.textContent.trim() === text,
      [selector, expected],
      { timeout: WAIT_MS },
    );
  } catch {
    const actual = await page.locator(selector).first().textContent().catch(() => '<missing>');
    throw new Error(`${selector}: expected text ${JSON.stringify(expected)}, found ${JSON.stringify(actual?.trim())}`);
  }
}

export async function expectPending(page, count) {
  await expectText(page, '#pending-count', `${count} waiting to sync`);
}

export async function screenshot(page, name) {
  await mkdir(resultsDir, { recursive: true });
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`), fullPage: true });
}

// --- UI steps, done the way a user does them (labels, buttons, keyboard) ---

export async function chooseCustomer(page, customerId) {
  await page.getByLabel('Customer id', { exact: true }).fill(customerId);
  await page.getByRole('button', { name: 'Show orders' }).click();
}

/** Creates an order for the current customer; returns its id. */
export async function createOrder(page) {
  const before = await page.locator('#order-id').textContent();
  await clickCommand(page, 'New order');
  await page.waitForFunction((old) => {
    const id = document.querySelector('#order-id')?.textContent;
    return id && id !== old && !document.querySelector('#order-detail').hidden;
  }, before, { timeout: WAIT_MS });
  return (await page.locator('#order-id').textContent()).trim();
}

export async function addItem(page, { product, quantity, price }) {
  await page.getByLabel('Product', { exact: true }).fill(product);
  await page.getByLabel('Quantity', { exact: true }).fill(String(quantity));
  await page.getByLabel('Unit price', { exact: true }).fill(String(price));
  await clickCommand(page, 'Add item');
}

/** Clicks a command button and waits until the command was decided (and queued or refused). */
export async function clickCommand(page, name) {
  await page.getByRole('button', { name, exact: true }).click();
  await page.locator('body[data-running="0"]').waitFor({ timeout: WAIT_MS });
}

export async function errorBeside(page, control) {
  const slot = page.locator(`[data-error-for="${control}"]`);
  return { code: await slot.getAttribute('data-code'), text: (await slot.textContent()).trim() };
}

// --- a second client, straight on the HTTP API ---

const tokens = new Map();

/** A dev token for `sub` with `roles` from the server at `url` (kept per server and user). */
export async function tokenFor(url, sub, roles = ['clerk'], customerId) {
  const key = JSON.stringify([url, sub, roles, customerId]);
  if (!tokens.has(key)) {
    const response = await fetch(new URL('/dev/token', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub, roles, ...(customerId ? { customerId } : {}) }),
    });
    if (!response.ok) throw new Error(`POST /dev/token answered ${response.status}: ${await response.text()}`);
    tokens.set(key, (await response.json()).token);
  }
  return tokens.get(key);
}

/** A request as `as` (a clerk by default), with a dev token. */
export async function api(url, pathname, { method = 'GET', body, headers = {}, as = 'test-clerk' } = {}) {
  const authorization = `Bearer ${await tokenFor(url, as)}`;
  headers = { ...headers, authorization };
  const response = await fetch(new URL(pathname, url), {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** Starts one server and one browser before a file's tests and stops them after; the
 * returned object's `server` and `browser` are set once `before` has run. */
export function shareServerAndBrowser() {
  const shared = { server: undefined, browser: undefined };
  before(async () => {
    shared.server = await startServer();
    shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}
