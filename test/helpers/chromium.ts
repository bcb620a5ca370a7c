/** The system Chromium under playwright-core, as the browser tests drive it (playwright's own browser downloads are not used). */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches Chromium with a fresh profile; `extraArgs` e.g. `--host-resolver-rules=…` to point a name at loopback. */
export async function launchChromium(extraArgs: string[] = []): Promise<{ browser: BrowserContext; profile: string; close: () => Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) {
    assert.fail(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (Debian/Ubuntu; CI does this) or point CHROMIUM_PATH at a Chromium binary`);
  }
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-chromium-'));
  // playwright owns --user-data-dir: a persistent context on a fresh tmp dir is the supported way to set it.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  const close = async (): Promise<void> => {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { browser, profile, close };
}
