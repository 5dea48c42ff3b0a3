/**
 * The README's walkthrough, as a new user does it, in Chromium: `npm start` (the compiled service
 * with its own dev server, sandbox, worker and API), `npm run call -- refund_request`, then the
 * sandbox's Slack: Dana hands the request to Sam ("I'm out"), Sam finds it on his Home tab
 * ("Waiting on you"), approves it there, and the case's link opens in the real Temporal Web UI
 * decrypted, with no codec error banner. Screenshots of every step go to
 * test-artifacts/walkthrough/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/devtools/temporal-cli';
import { buildOnce } from '../support/build';
import { embedded, waitFor, type Embedded, type Running } from '../support/embedded';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'walkthrough');
/** The Temporal UI's message when a codec call fails. */
const CODEC_ERROR = 'Codec Server could not connect';
const DANA = 'U0FIN0001';
const SAM = 'U0FIN0002';

/** Polls the page's text across the reloads the sandbox's Slack page does when something changes. */
async function waitForText(page: Page, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = (await page.textContent('body')) ?? '';
      if (pattern.test(text)) return text;
    } catch {
      // The page reloaded between the query and its answer; ask again.
    }
    if (Date.now() > end) throw new Error(`page never showed ${pattern}; it shows:\n${await page.textContent('body').catch(() => '')}`);
    await page.waitForTimeout(250);
  }
}

describe('browser: the README walkthrough on npm start (Chromium)', function () {
  this.timeout(300_000);
  let service: Embedded;
  let running: Running | undefined;
  let browser: Browser;
  let step = 0;
  const shot = async (page: Page, name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });

  before(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (npm test installs it: scripts/setup.ts)`);
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await buildOnce();
    service = await embedded('walkthrough');
    running = await service.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
  });

  after(async () => {
    await browser?.close();
    if (running) await service.stop(running).catch(() => undefined);
    service?.cleanUp();
  });

  it('call -> hand-off in Slack -> the Home tab -> approve -> the record -> the case in the Temporal UI, decrypted', async () => {
    // 1. `npm run call -- refund_request`, as the README says (the script finds the local webhook secret under DATA_DIR).
    const call = spawnSync('npx', ['tsx', 'scripts/post-call.ts', 'refund_request', '--url', service.api], {
      cwd: PROJECT_ROOT,
      env: service.env,
      encoding: 'utf8',
    });
    assert.equal(call.status, 0, `npm run call failed:\n${call.stdout}\n${call.stderr}`);
    assert.match(call.stdout, /202 Accepted/);
    const answer = JSON.parse(call.stdout.slice(call.stdout.indexOf('{'))) as { cases: { workflowId: string; temporalUiUrl: string }[] };
    const { workflowId, temporalUiUrl } = answer.cases[0];
    assert.match(workflowId, /^case-refund_request-call_/);

    // `npm run cases:waiting` lists it, waiting on whom the README says (visibility is eventually consistent: ask a few times).
    const waitingOn = async (who: RegExp) =>
      waitFor(
        `cases:waiting to list the case waiting on ${who}`,
        async () => {
          const out = spawnSync('npx', ['tsx', 'scripts/cases-waiting.ts'], { cwd: PROJECT_ROOT, env: service.env, encoding: 'utf8' });
          assert.equal(out.status, 0, out.stderr);
          const line = out.stdout.split('\n').find((l) => l.includes(workflowId));
          return line && who.test(line) ? line : undefined;
        },
        30_000,
      );
    assert.match(await waitingOn(/U0FIN0001,U0FIN0002/), /USD 450\.00\s+ACME-001/);

    // 2. Dana opens the finance channel: the request, in words and in the currency's format.
    const dana = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await dana.goto(`${service.sandbox}/_sandbox/slack/channel?as=${DANA}`);
    await waitFor(
      'the approval request',
      async () => ((await dana.locator(`button[data-value*='${workflowId}']`).count()) > 0 ? true : undefined),
      60_000,
    );
    const request = await waitForText(dana, /USD 450\.00/);
    assert.match(request, /Duplicate charge/);
    assert.doesNotMatch(request, /duplicate_charge|above_limit/, 'no codes where people read');
    await shot(dana, 'request-in-channel');

    // She is out: "Hand off…" to Sam, with a note.
    await dana.locator(`button[data-value*='${workflowId}'][data-value*='"a":"hand_off"']`).click();
    await dana.locator('#modal select[name="hand_to"]').waitFor({ timeout: 15_000 });
    await dana.locator('#modal select[name="hand_to"]').selectOption(SAM);
    await dana.locator('#modal textarea[name="note"]').fill('Out until Monday');
    await shot(dana, 'hand-off-modal');
    await dana.locator('#modal-submit').click();
    await waitForText(dana, /Handed off by @Dana Finance at \d\d:\d\d UTC to @Sam Ledger/);
    await waitForText(dana, /Handed off by @Dana Finance: this request now waits on you/);
    await shot(dana, 'handed-off');
    await dana.close();
    await waitingOn(new RegExp(`\\s${SAM}\\s`));

    // 3. Sam opens the app's Home tab: the request waits on him, handed over by Dana.
    const sam = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    await sam.goto(`${service.sandbox}/_sandbox/slack/home?as=${SAM}`);
    const home = await waitForText(sam, /Waiting on you[\s\S]*USD 450\.00/);
    assert.match(home, /ACME-001/);
    assert.match(home, /[Hh]anded to you by @Dana Finance/);
    await shot(sam, 'home-tab-waiting');
    await sam.locator(`button[data-value*='${workflowId}'][data-value*='"a":"approve"']`).click();
    await waitForText(sam, /Nothing is waiting on you/);
    await shot(sam, 'home-tab-after-approval');

    // 4. The channel message ends on the outcome: who decided, and the record written.
    await sam.goto(`${service.sandbox}/_sandbox/slack/channel?as=${SAM}`);
    const final = await waitForText(sam, /Refund recorded in QuickBooks, RefundReceipt \d+/, 60_000);
    assert.match(final, /Approved by @Sam Ledger/);
    assert.equal(await sam.locator(`button[data-value*='${workflowId}']`).count(), 0, 'no buttons left on the decided request');
    await shot(sam, 'outcome-in-channel');
    await sam.close();

    // 5. The case's link opens in the real Temporal UI (the dev server's), decrypted, with no error banner.
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    try {
      const ui = await context.newPage();
      const decodes: number[] = [];
      ui.on('response', (r) => {
        // The UI calls the codec under the configured API name (localhost or 127.0.0.1).
        if (new URL(r.url()).pathname === '/codec/decode') decodes.push(r.status());
      });
      await ui.goto(temporalUiUrl);
      await ui.getByText(workflowId).first().waitFor({ timeout: 30_000 });
      // The input is sealed in history; shown in clear only when the codec endpoint decrypted it.
      await ui.getByText('duplicate_charge').first().waitFor({ timeout: 30_000 });
      await ui.waitForTimeout(1500);
      await shot(ui, 'temporal-ui-decrypted');
      assert.equal(await ui.getByText(CODEC_ERROR).count(), 0, 'no "Codec Server could not connect" banner');
      assert.ok(decodes.length > 0 && decodes.every((s) => s === 200), `codec calls: ${decodes.join(',')}`);
    } finally {
      await context.close();
    }
    console.log(`      screenshots: ${path.relative(PROJECT_ROOT, ARTIFACTS)}/ (${fs.readdirSync(ARTIFACTS).length} files)`);
  });
});
