/**
 * The live web view end to end: the Kafka engine on the real broker and registry, a LiveState fed
 * from the output topics (read_committed, as `demo --live-port` does), the live server, and a real
 * headless Chromium reading the page. Two fault drives are replayed; what a user would look for
 * must appear on the page: their FMEA entries in the actions table and a rendered drift chart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { LIVE_TOPICS, LiveState } from '../../streams/runtime/live/live-state.ts';
import { startLiveServer } from '../../streams/runtime/live/live-server.ts';
import { followOutputs } from '../../streams/runtime/live/output-feed.ts';
import { startPipeline } from '../../streams/pipeline-session.ts';
import { stackEndpoints } from '../../streams/runtime/stack/stack.ts';
import { DRIVE_TIMING } from '../../streams/topology.ts';
import { replayDrives } from '../../vehicle-producer/publish/replay.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { DRIVES_DIR } from './drive-pipeline.ts';
import { faultDriveExpectations } from './expectations.ts';

const SCREENSHOT = '/tmp/live-view.png';
const DRIVES = ['harness-reflection', 'can-timeout'];

test('the live view shows the replayed drives\' actions and a drift chart in a real browser', { timeout: 300_000 }, async (t) => {
  // The entries come from the drive manifest + worksheets (expectations.ts), not from the engine.
  const expected = faultDriveExpectations().filter((e) => DRIVES.includes(e.drive)).map((e) => e.entryId);
  assert.deepEqual([...expected].sort(), ['S-CAN-03', 'S-ODS-08']);

  // Browser first: a missing Chromium fails before the engine starts, and it is closed first.
  const { browser, close } = await launchChromium();
  t.after(close);
  const { brokers, registryUrl } = stackEndpoints();
  const app = `e2e-live-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const session = await startPipeline({ app, brokers, registryUrl, timing: DRIVE_TIMING, fromLatest: true });
  t.after(() => session.stop());
  const state = new LiveState();
  const decodeErrors: string[] = [];
  const feed = await followOutputs(session.kafka, session.serde, LIVE_TOPICS, (r) => state.apply(r.topic, r.key, r.value), {
    onDecodeError: (topic, err) => decodeErrors.push(`${topic}: ${String(err)}`),
  });
  t.after(() => feed.stop());
  const server = await startLiveServer(state, 0);
  t.after(() => server.close());

  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const response = await page.goto(server.url);
  assert.equal(response?.status(), 200);
  assert.match(await page.title(), /fmeaflow/);

  const started = Date.now();
  await replayDrives({ drives: DRIVES.map((d) => path.join(DRIVES_DIR, d)), brokers, registryUrl, speed: 'max' });

  // The page polls /api/state; wait until it has rendered what the engine published.
  for (const entry of expected) {
    await page.waitForSelector(`#actions tbody tr.action[data-entry="${entry}"]`, { timeout: 150_000 });
  }
  // Any rendered drift point or baseline band will do; the first one in the DOM may be off-screen.
  await page.locator('svg.drift-chart :is(circle.drift, polygon.band)').filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 60_000 });
  // can-timeout's timeout lines form a fleet-wide cluster (fmeaflow.log-clusters-fleet.v1), listed with scope "fleet".
  const fleetRow = page.locator('#clusters tbody tr').filter({ has: page.locator('td:nth-child(2)', { hasText: /^fleet$/ }) }).first();
  await fleetRow.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await fleetRow.locator('td:nth-child(1)').innerText(), /^fleet-/);
  const elapsedS = (Date.now() - started) / 1000;

  const rows = await page.$$eval('#actions tbody tr.action', (trs) => trs.map((tr) => ({ entry: tr.getAttribute('data-entry'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })));
  assert.ok(rows.length >= 2, `actions table has rows (got ${rows.length})`);
  for (const entry of expected) {
    const row = rows.find((r) => r.entry === entry)!;
    // AP cell is one of H/M/L and the RPN cell is the product S×O×D shown next to it.
    assert.match(row.cells[1]!, /^[HML]$/, `${entry}: AP cell`);
    const [s, o, d] = row.cells[3]!.split('/').map(Number);
    assert.equal(Number(row.cells[2]), s! * o! * d!, `${entry}: RPN = S×O×D`);
  }
  const charts = await page.$$eval('svg.drift-chart', (svgs) => svgs.map((s) => ({ circles: s.querySelectorAll('circle.drift').length, bands: s.querySelectorAll('polygon.band').length })));
  assert.ok(charts.some((c) => c.circles + c.bands > 0), `a drift chart has drift points or a baseline band: ${JSON.stringify(charts)}`);

  const text = await page.innerText('body');
  assert.doesNotMatch(text, /\[object Object\]|undefined|NaN/, 'every cell renders a value');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.deepEqual(pageErrors, [], 'no script errors on the page');
  assert.deepEqual(decodeErrors, [], 'every output record decoded');
  t.diagnostic(`page showed ${expected.join(' + ')} and ${charts.length} drift chart(s) ${elapsedS.toFixed(1)} s after the replay started; screenshot ${SCREENSHOT}`);
});
