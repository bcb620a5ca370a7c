/**
 * The live view's drift chart in a real headless Chromium: a series judged by the engine's own
 * detector (a steady stretch, then a step) is folded into the live state as the engine publishes
 * it (baselines + drift events), and the page must draw the series, its baseline band and mean,
 * the onset and the drifting period. Checked in the DOM and on a screenshot of the chart, by
 * counting the pixels of each drawn colour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeWindow, type SeriesState } from '../../../streams/processors/drift/series-judge.ts';
import { driftConfig } from '../../../streams/processors/drift/drift-config.ts';
import { LiveState } from '../../../streams/runtime/live/live-state.ts';
import { startLiveServer } from '../../../streams/runtime/live/live-server.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { gaussian, points } from '../../unit/drift/fixtures.ts';
import { launchChromium } from '../../helpers/chromium.ts';

test('a drift chart draws the series line, the baseline band and mean, the onset and the drifting period', { timeout: 120_000 }, async (t) => {
  const g = gaussian('live-chart');
  const values = [...Array.from({ length: 150 }, () => 10 + g()), ...Array.from({ length: 40 }, () => 25 + g())];
  const state = new LiveState();
  let st: SeriesState | undefined;
  let onsets = 0;
  for (const p of points(values, 'coolant_temp.mean{}@V1')) {
    const r = judgeWindow(st, { ...p, name: 'coolant_temp.mean', scope: 'V1' }, driftConfig());
    st = r.state;
    state.apply(Topics.baselines, p.seriesId, r.baseline);
    for (const e of r.events) {
      state.apply(Topics.drift, p.seriesId, e);
      if (e.phase === 'ONSET') onsets++;
    }
  }
  assert.equal(onsets, 1, 'the engine judged one onset at the step');

  const { browser, close } = await launchChromium();
  t.after(close);
  const server = await startLiveServer(state, 0);
  t.after(() => server.close());
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(server.url);
  const chart = page.locator('svg.drift-chart').first();
  await chart.locator('polyline.series').waitFor({ state: 'attached', timeout: 30_000 });

  const dom = await chart.evaluate((svg) => ({
    seriesPoints: svg.querySelector('polyline.series')?.getAttribute('points')?.trim().split(/\s+/).length ?? 0,
    bands: svg.querySelectorAll('polygon.band').length,
    means: svg.querySelectorAll('polyline.mean').length,
    onsets: svg.querySelectorAll('circle.drift.onset').length,
    drifting: svg.querySelectorAll('rect.drifting').length,
  }));
  // Every judged window is a point of the line (the live state keeps the last 240).
  assert.equal(dom.seriesPoints, values.length, `series line points: ${JSON.stringify(dom)}`);
  assert.deepEqual({ bands: dom.bands, means: dom.means, onsets: dom.onsets }, { bands: 1, means: 1, onsets: 1 });
  assert.ok(dom.drifting >= 1, 'the drifting period is shaded');

  // The screenshot: count pixels of each colour the chart draws (decoded by the browser itself).
  // The page re-renders every second (same content, same place): shoot the chart's area of the page, not the element.
  const box = await page.evaluate(`(() => { const r = document.querySelector('svg.drift-chart').getBoundingClientRect(); return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height }; })()`) as { x: number; y: number; width: number; height: number };
  const png = (await page.screenshot({ clip: box, fullPage: true })).toString('base64');
  // Passed as source text: the test runner's transpiler would name inner functions with a helper the page does not have.
  // Decoded in a blank page: the live page's Content-Security-Policy rightly refuses data: fetches.
  const scratch = await browser.newPage();
  const counts = (await scratch.evaluate(`(async () => {
    const img = await createImageBitmap(await (await fetch('data:image/png;base64,${png}')).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    const near = (i, rgb, tol) => Math.abs(d[i] - rgb[0]) <= tol && Math.abs(d[i + 1] - rgb[1]) <= tol && Math.abs(d[i + 2] - rgb[2]) <= tol;
    const out = { line: 0, band: 0, onset: 0, drifting: 0, total: img.width * img.height };
    for (let i = 0; i < d.length; i += 4) {
      if (near(i, [38, 50, 56], 40)) out.line++; // series line #263238
      else if (near(i, [200, 228, 252], 14)) out.band++; // band #90caf9 at 50 % on white
      else if (near(i, [198, 40, 40], 30)) out.onset++; // onset #c62828
      else if (near(i, [250, 224, 224], 10)) out.drifting++; // drifting #ef9a9a at 30 % on white
    }
    return out;
  })()`)) as { line: number; band: number; onset: number; drifting: number; total: number };
  t.diagnostic(`chart pixels: ${JSON.stringify(counts)}`);
  assert.ok(counts.line > 300, `the series line is drawn: ${counts.line} px`);
  assert.ok(counts.band > 2000, `the band is drawn: ${counts.band} px`);
  assert.ok(counts.onset > 20, `the onset is drawn: ${counts.onset} px`);
  assert.ok(counts.drifting > 500, `the drifting period is drawn: ${counts.drifting} px`);
  assert.deepEqual(pageErrors, []);
});
