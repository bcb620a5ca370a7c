/**
 * The live view's defences, checked in a real headless Chromium: the page runs under its CSP (its
 * own script only), a DNS-rebinding name that resolves to loopback is refused, and a token in the
 * URL fragment unlocks /api/state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLiveServer } from '../../../streams/runtime/live/live-server.ts';
import { LiveState } from '../../../streams/runtime/live/live-state.ts';
import { launchChromium } from '../../helpers/chromium.ts';

const REBIND = 'rebind.attacker.test';

test('in Chromium the live view renders under its CSP, refuses a rebinding host name, and needs its token', { timeout: 120_000 }, async (t) => {
  // The attacker's name resolves to 127.0.0.1, as a rebinding DNS answer would make it.
  const { browser, close } = await launchChromium([`--host-resolver-rules=MAP ${REBIND} 127.0.0.1`]);
  t.after(close);
  const token = 'browser-token-0123456789abcdef';
  const server = await startLiveServer(new LiveState(), 0, '127.0.0.1', { token, allowedHosts: [] });
  t.after(() => server.close());

  const page = browser.pages()[0] ?? (await browser.newPage());
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text()); });
  page.on('pageerror', (e) => violations.push(e.message));

  const response = await page.goto(`${server.url}#token=${token}`);
  assert.equal(response?.status(), 200);
  const headers = response!.headers();
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.match(headers['content-security-policy'] ?? '', /script-src 'sha256-/);
  // The page's own script ran (under the CSP) and its authorised poll answered.
  await page.waitForFunction(() => /^\(0 actions, updated/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 30_000 });
  assert.deepEqual(violations, [], 'no CSP violation or script error');

  // Without the token the page still loads but cannot read the state.
  await page.goto(server.url);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === '(disconnected)', undefined, { timeout: 30_000 });

  const rebound = await page.goto(`http://${REBIND}:${server.port}/`);
  assert.equal(rebound?.status(), 421, 'a page served under the attacker\'s name is refused');
});
