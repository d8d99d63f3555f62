import fs = require('node:fs');
import os = require('node:os');
import path = require('node:path');
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (CI installs it with apt-get). Playwright must never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumInstalled(): boolean {
  try {
    fs.accessSync(CHROMIUM_PATH, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless chromium with a fresh profile. The flags keep it from reaching out to the network on
 * its own (this machine has none; refused connections would slow every start).
 */
export async function launchChromium(): Promise<Chromium> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'fptr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
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
    viewport: { width: 1400, height: 860 },
    locale: 'en-US',
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
