// The console's cluster section in a real browser, run by host/tests/cluster.rs.
//
//   node cluster.mjs <base-url> <this-node> <other-node> <bot> <screenshot.png>
//
// Opens /console of a cluster node in Debian's Chromium (headless, fresh profile) and checks
// that the cluster section is shown with both nodes, this node marked, and the bot's lease
// under the node that holds it (read from /admin/status, as the page does). Exits 0 on success;
// otherwise prints what was seen and exits 1.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, self, other, bot, shotPath] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'wasmbot-cluster-'));
let exitCode = 1;
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
    timeout: 15_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${base}/console`);
  await page.waitForSelector('#cluster-section:not([hidden]) tr[data-node]', { timeout: 15_000 });
  const status = await (await fetch(`${base}/admin/status`)).json();
  const holder = status.cluster.leases.find(([lease]) => lease === `bot.${bot}`)[1];
  const rows = await page.$$eval('#cluster tr[data-node]', (trs) =>
    trs.map((tr) => [tr.dataset.node, tr.children[0].innerText, tr.children[1].innerText]));
  const row = (node) => rows.find(([name]) => name === node);
  const problems = [];
  if (!row(self) || !row(self)[1].includes('(this node)')) problems.push(`this node ${self} not marked`);
  if (!row(other)) problems.push(`node ${other} missing`);
  if (!row(holder) || !row(holder)[2].includes(`bot.${bot}`)) problems.push(`bot.${bot} not under ${holder}`);
  await page.locator('#cluster-section').screenshot({ path: shotPath });
  if (problems.length) {
    console.error(`FAIL: ${problems.join('; ')}; rows ${JSON.stringify(rows)}`);
  } else {
    console.log(`ok: ${JSON.stringify(rows)}`);
    exitCode = 0;
  }
} catch (e) {
  console.error(`FAIL: ${e}`);
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(exitCode);
