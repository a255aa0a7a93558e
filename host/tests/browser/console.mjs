// A real-browser test of the operator's console, run by host/tests/console_browser.rs.
//
//   node console.mjs <base-url> <admin-token> <secret-that-must-not-show> <screenshot.png> [<section-shots-dir>]
//
// Opens /console in Debian's Chromium (headless, fresh profile) and checks what an operator
// sees and can do: plugins with their state, a file that failed to load, a change refused
// without the token, release and reload with it, dead letters retried and dropped, disable and
// enable, the reload history, the bots' last event, the charts, the live log filtered by
// plugin, the config with its secret masked, the link to the sim chat. Exits 0 when every
// step passed; otherwise prints the failed step, saves the screenshot anyway, and exits 1.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, token, secret, shotPath, sectionDir] = process.argv.slice(2);
if (!base || !token || !secret || !shotPath) {
  console.error('usage: node console.mjs <base-url> <token> <secret> <screenshot.png>');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 15_000;
const TOTAL_MS = 90_000;

const watchdog = setTimeout(() => {
  console.error(`FAIL: the console test did not finish within ${TOTAL_MS / 1000} s`);
  process.exit(1);
}, TOTAL_MS);
watchdog.unref();

const started = Date.now();
let current = 'launch';
function step(name) {
  current = name;
  console.log(`[${((Date.now() - started) / 1000).toFixed(2)}s] ${name}`);
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const profile = mkdtempSync(join(tmpdir(), 'wasmbot-console-'));
let context;
let page;
const pageErrors = [];
let exitCode = 1;

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
    colorScheme: 'light',
    timeout: STEP_MS,
  });
  context.setDefaultTimeout(STEP_MS);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  step('open the console');
  const response = await page.goto(new URL('/console', base).href, { waitUntil: 'domcontentloaded' });
  assert(response && response.ok(), `GET /console answered ${response && response.status()}`);
  assert((await page.title()) === 'wasmbot console', `unexpected title ${await page.title()}`);
  assert((await page.locator('#to-sim').getAttribute('href')) === '/', 'no link to the sim chat');

  step('plugins: echo serving, trapper quarantined, the empty file failed to load');
  const echo = page.locator('#plugins tr[data-plugin="echo"]');
  await echo.locator('td.state-serving').waitFor();
  const trapper = page.locator('#plugins tr[data-plugin="trapper"]');
  await trapper.locator('td.state-quarantined').waitFor();
  await page.locator('#plugins td.state-failed', { hasText: 'the file is empty' }).waitFor();
  await page.locator('#plugins td', { hasText: 'empty.wasm' }).waitFor();

  step('bots: the sim bot is up');
  await page.locator('#bots td.conn-up').first().waitFor();

  step('release without the token is refused, and says why');
  await trapper.locator('button', { hasText: 'release' }).click();
  await page.locator('#notice', { hasText: 'admin token' }).waitFor();
  await trapper.locator('td.state-quarantined').waitFor();

  step('with the token, release works');
  await page.locator('#token').fill(token);
  await page.locator('#token-form button').click();
  await page.locator('#token-state', { hasText: 'saved' }).waitFor();
  await trapper.locator('button', { hasText: 'release' }).click();
  await page.locator('#notice', { hasText: 'release trapper: done' }).waitFor();
  await trapper.locator('td.state-serving').waitFor();

  step('dead letters: two refused replies; retry one (delivered now), drop the other');
  const dead = page.locator('#dead tbody tr[data-id]');
  await page.waitForFunction(() => document.querySelectorAll('#dead tbody tr[data-id]').length === 2);
  await page.locator('#dead td', { hasText: 'chat is archived' }).first().waitFor();
  if (sectionDir) await page.locator('#dead-section').screenshot({ path: join(sectionDir, 'console-dead.png') });
  const [first, second] = await dead.evaluateAll((rows) => rows.map((r) => r.dataset.id));
  await page.locator(`#dead tr[data-id="${first}"] button`, { hasText: 'retry' }).click();
  await page.locator('#notice', { hasText: `retry ${first}: done` }).waitFor();
  await page.locator(`#dead tr[data-id="${first}"]`).waitFor({ state: 'detached' });
  await page.locator(`#dead tr[data-id="${second}"] button`, { hasText: 'drop' }).click();
  await page.locator('#notice', { hasText: `drop ${second}: done` }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#dead tbody tr[data-id]').length === 0);
  const fb = page.locator('#bots tr[data-bot="fb"]');
  await fb.locator('td', { hasText: 'fanbook' }).waitFor();
  // The retried reply is delivered: the bot's delivered count (column 6) says 1.
  await page.waitForFunction(() => {
    const row = document.querySelector('#bots tr[data-bot="fb"]');
    return row && row.children[5].textContent === '1';
  });

  step('the log, filtered by plugin, shows echo\'s lines only');
  await page.locator('#log-plugin').fill('echo');
  await page.locator('#log-filter button').click();
  await page.locator('#log li', { hasText: 'plugin loaded' }).first().waitFor();
  const lines = await page.locator('#log li').allTextContents();
  assert(lines.every((l) => l.includes('plugin=echo')), `lines of other plugins: ${lines.join(' | ')}`);

  step('reload echo: a new load shows in the live log');
  const loadedBefore = await page.locator('#log li', { hasText: 'plugin loaded' }).count();
  await echo.locator('button', { hasText: 'reload' }).click();
  await page.locator('#notice', { hasText: 'reload echo: done' }).waitFor();
  await page.waitForFunction(
    (n) => [...document.querySelectorAll('#log li')].filter((li) => li.textContent.includes('plugin loaded')).length > n,
    loadedBefore,
  );

  step('disable echo: its state says so, a message waits, and enabling answers it once');
  await echo.locator('button', { hasText: 'disable' }).click();
  await page.locator('#notice', { hasText: 'disable echo: done' }).waitFor();
  await echo.locator('td.state-disabled').waitFor();
  const said = await page.evaluate(async () => {
    const r = await fetch('/sim/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ chat: 'console', user: 'alice', text: '/echo waited' }) });
    return r.status;
  });
  assert(said === 202, `POST /sim/messages answered ${said}`);
  await page.waitForTimeout(700);
  const replies = async () => page.evaluate(async () => {
    const r = await fetch('/sim/actions?chat=console');
    const body = await r.json();
    return body.actions.filter((a) => a.text === 'waited').length;
  });
  assert((await replies()) === 0, 'a disabled plugin answered');
  await echo.locator('button', { hasText: 'enable' }).click();
  await page.locator('#notice', { hasText: 'enable echo: done' }).waitFor();
  await echo.locator('td.state-serving').waitFor();
  await page.waitForFunction(async () => {
    const r = await fetch('/sim/actions?chat=console');
    return (await r.json()).actions.some((a) => a.text === 'waited');
  }, null, { polling: 200 });
  await page.waitForTimeout(500);
  assert((await replies()) === 1, 'the waiting message was not answered exactly once');

  step('reload history: echo\'s loads, newest first, with file, version and time');
  await echo.locator('details.reloads summary').click();
  const history = echo.locator('details.reloads li');
  await history.first().waitFor();
  assert((await history.count()) >= 2, 'the reload is not in the history');
  const newest = await history.first().textContent();
  assert(/echo\.wasm · \d+ ms · loaded /.test(newest), `unexpected history line: ${newest}`);
  await page.waitForTimeout(2200);
  assert(await echo.locator('details.reloads[open]').count() === 1, 'the history closed on refresh');

  step('bots: last event time and rate limit');
  const sim = page.locator('#bots tr[data-bot="sim"]');
  await sim.waitFor();
  const simCells = await sim.locator('td').allTextContents();
  assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/.test(simCells[3]), `no last event time: ${simCells.join(' | ')}`);

  step('charts: throughput and latency drawn from the server\'s samples');
  await page.waitForFunction(() => Number(document.getElementById('chart-throughput').dataset.points || 0) >= 3);
  const drawn = await page.locator('#chart-throughput polyline[data-series="accepted"]').getAttribute('points');
  const peak = Math.min(...drawn.trim().split(' ').map((p) => Number(p.split(',')[1])));
  assert(peak < 126, `the accepted line never rises: ${drawn}`);
  await page.locator('#chart-latency polyline[data-series="handle_ms"]').waitFor();

  step('the config shows, its secret masked');
  await page.locator('#config', { hasText: '"api": "***"' }).waitFor();
  const html = await page.content();
  assert(!html.includes(secret), 'the plugin secret shows in the page');
  assert(!html.includes(token), 'the admin token shows in the page');

  await page.waitForTimeout(300);
  if (sectionDir) {
    for (const name of ['charts', 'plugins', 'bots', 'log', 'config']) {
      const path = join(sectionDir, `console-${name}.png`);
      await page.locator(`#${name}-section`).screenshot({ path });
      console.log(`screenshot: ${path}`);
    }
  }
  assert(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  step('all checks passed');
  exitCode = 0;
} catch (e) {
  console.error(`FAIL at step "${current}": ${e && e.message ? e.message : e}`);
  if (pageErrors.length) console.error(`uncaught errors in the page: ${pageErrors.join('; ')}`);
  if (page) {
    try {
      console.error(`notice: ${await page.locator('#notice').textContent()}`);
      console.error(`plugins: ${(await page.locator('#plugins tbody').innerText()).replace(/\n/g, ' / ')}`);
    } catch {
      // the page is gone
    }
  }
} finally {
  if (page) {
    try {
      await page.screenshot({ path: shotPath, fullPage: true });
      console.log(`screenshot: ${shotPath}`);
    } catch (e) {
      console.error(`could not save the screenshot: ${e && e.message ? e.message : e}`);
      exitCode = 1;
    }
  }
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
console.log(`took ${((Date.now() - started) / 1000).toFixed(2)} s`);
process.exit(exitCode);
