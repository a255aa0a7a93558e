// A real-browser end-to-end test of the sim chat page, run by host/tests/browser.rs.
//
//   node sim.mjs <base-url> <screenshot.png>
//
// Drives Debian's Chromium (headless, fresh profile) through playwright-core the way a person
// would: types in the composer, presses Enter, joins, clicks a bot's button, and checks what the
// page shows. Exits 0 when every step passed; otherwise prints the failed step and what the page
// showed, saves the screenshot anyway, and exits 1.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, shotPath] = process.argv.slice(2);
if (!base || !shotPath) {
  console.error('usage: node sim.mjs <base-url> <screenshot.png>');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 15_000;
const TOTAL_MS = 90_000;

// Whatever hangs, the process ends: the Rust test must never wait forever.
const watchdog = setTimeout(() => {
  console.error(`FAIL: the browser test did not finish within ${TOTAL_MS / 1000} s`);
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

const profile = mkdtempSync(join(tmpdir(), 'wasmbot-chromium-'));
let context;
let page;
const pageErrors = [];
let exitCode = 1;

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    timeout: STEP_MS,
  });
  context.setDefaultTimeout(STEP_MS);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Every request for the sim's read endpoints: the page must not poll them.
  const reads = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (['/sim/timeline', '/sim/actions', '/sim/chats', '/sim/events'].includes(path)) reads.push({ path, at: Date.now() });
  });

  step('open the page');
  const response = await page.goto(new URL('/', base).href, { waitUntil: 'domcontentloaded' });
  assert(response && response.ok(), `GET / answered ${response && response.status()}`);
  assert((await page.title()) === 'wasmbot sim', `unexpected title ${JSON.stringify(await page.title())}`);
  await page.locator('#status[data-state="ok"]').waitFor();
  await page.locator('#chats .chat.active[data-chat="general"]').waitFor();

  step('the page follows the chat over server-sent events, without polling');
  await page.waitForTimeout(2000);
  const polled = reads.filter((r) => r.path !== '/sim/events');
  assert(polled.length === 0, `the page polled: ${polled.map((r) => r.path).join(', ')}`);
  assert(reads.some((r) => r.path === '/sim/events'), 'the page opened no /sim/events stream');
  const streamsBefore = reads.length;

  step('type /echo and press Enter');
  const composer = page.locator('#composer');
  await composer.click();
  await page.keyboard.type('/echo hello from the browser');
  await page.keyboard.press('Enter');
  const timeline = page.locator('#timeline');
  await timeline
    .locator('.msg.mine[data-from="alice"] .text', { hasText: '/echo hello from the browser' })
    .waitFor();
  await timeline
    .locator('.msg[data-bot="true"] .text')
    .filter({ hasText: /^hello from the browser$/ })
    .waitFor();
  assert((await composer.inputValue()) === '', 'the composer was not cleared after sending');
  assert(reads.length === streamsBefore, `the reply came by a fetch, not the stream: ${reads.slice(streamsBefore).map((r) => r.path).join(', ')}`);

  step('join the chat');
  await page.locator('#join').click();
  await page.locator('#toasts .toast', { hasText: 'alice joined general' }).waitFor();
  await page.locator('#members .member.me[data-user="alice"]').waitFor();
  await page.locator('#membership', { hasText: 'alice is a member' }).waitFor();

  step('as a plain member, /roles is refused with a reply saying who may use it');
  await composer.click();
  await page.keyboard.type('/roles');
  await page.keyboard.press('Enter');
  await timeline
    .locator('.msg[data-bot="true"] .text')
    .filter({ hasText: /^Only this chat's admins may use \/roles\.$/ })
    .waitFor();

  step('make alice an admin of general with the rank menu');
  await page.locator('#members .member[data-user="alice"] select.rank').selectOption('admin');
  await page.locator('#toasts .toast', { hasText: 'alice is now admin of general' }).waitFor();

  step('send /roles and click the first button of the menu');
  await composer.click();
  await page.keyboard.type('/roles');
  await page.keyboard.press('Enter');
  const menu = timeline
    .locator('.msg[data-bot="true"]')
    .filter({ has: page.locator('.keyboard .kb-callback') })
    .last();
  await menu.waitFor();
  const button = menu.locator('.kb-callback').first();
  const label = (await button.textContent()).trim();
  const data = await button.getAttribute('data-callback');
  assert(data && data.startsWith('role:'), `unexpected callback data ${JSON.stringify(data)}`);
  const role = data.slice('role:'.length);
  await button.click();

  step(`wait for role ${role} in the member panel and add-role in the actions log`);
  await page
    .locator(`#members .member[data-user="alice"] .role[data-role="${role}"]`)
    .waitFor();
  await page
    .locator('#actions .action')
    .filter({ has: page.locator('.op', { hasText: /^add[-_]role$/ }) })
    .filter({ hasText: role })
    .first()
    .waitFor();
  // The plugin answered the click (a toast) and edited its menu.
  await page.locator('#toasts .toast', { hasText: `Added ${label}` }).waitFor();
  await menu.locator('.text', { hasText: `Last change: Added ${label} for alice` }).waitFor();

  step('a chat name with spaces is refused in the page');
  await page.locator('#new-chat').fill('two words');
  await page.locator('#add-chat').click();
  await page.locator('#error:not(.hidden) #error-text', { hasText: 'chat names cannot contain spaces' }).waitFor();
  assert(await page.locator('#new-chat.invalid').isVisible(), 'the bad chat name was not marked invalid');

  step('a chat name the server rejects shows its 400 error');
  await page.locator('#new-chat').fill('bad!chat');
  await page.locator('#add-chat').click();
  await page.locator('#chats .chat.active[data-chat="bad!chat"]').waitFor();
  await composer.click();
  await page.keyboard.type('hello?');
  const rejected = page.waitForResponse(
    (r) => r.url().endsWith('/sim/messages') && r.request().method() === 'POST',
  );
  await page.keyboard.press('Enter');
  const answer = await rejected;
  assert(answer.status() === 400, `POST /sim/messages answered ${answer.status()}, expected 400`);
  const body = await answer.json();
  assert(typeof body.error === 'string' && body.error.includes('`chat`'), `unexpected error body ${JSON.stringify(body)}`);
  await page.locator('#error:not(.hidden) #error-text', { hasText: body.error }).waitFor();
  await page.locator('#error-text', { hasText: '(HTTP 400)' }).waitFor();
  await page.locator('#toasts .toast.error', { hasText: body.error }).waitFor();
  assert((await composer.inputValue()) === 'hello?', 'a rejected message should stay in the composer');

  step('back to general: the conversation is still there');
  await page.locator('#chats .chat[data-chat="general"]').click();
  await page.locator('#chats .chat.active[data-chat="general"]').waitFor();
  await timeline.locator('.msg[data-bot="true"] .text').filter({ hasText: /^hello from the browser$/ }).waitFor();
  await page.locator(`#members .member[data-user="alice"] .role[data-role="${role}"]`).waitFor();
  // Let the last poll and toasts settle so the screenshot shows a steady page.
  await page.waitForTimeout(300);

  assert(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join('; ')}`);
  step('all checks passed');
  exitCode = 0;
} catch (e) {
  console.error(`FAIL at step "${current}": ${e && e.message ? e.message : e}`);
  if (pageErrors.length) console.error(`uncaught errors in the page: ${pageErrors.join('; ')}`);
  if (page) {
    try {
      const seen = await page.evaluate(() => ({
        status: document.getElementById('status')?.textContent,
        error: document.getElementById('error-text')?.textContent,
        timeline: [...document.querySelectorAll('#timeline .msg')].map(
          (m) => `${m.getAttribute('data-from')}${m.getAttribute('data-bot') === 'true' ? ' (bot)' : ''}: ${m.querySelector('.text')?.textContent}`,
        ),
        members: [...document.querySelectorAll('#members .member')].map(
          (m) => `${m.getAttribute('data-user')} [${m.getAttribute('data-roles')}]`,
        ),
        actions: [...document.querySelectorAll('#actions .action')].map((a) => a.textContent),
      }));
      console.error(`the page showed: ${JSON.stringify(seen, null, 2)}`);
    } catch {
      // the page is gone; nothing more to tell
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
