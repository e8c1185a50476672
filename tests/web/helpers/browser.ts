/** Debian's Chromium (installed by tools/setup-system.sh) driven by playwright-core, with a fresh profile. */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps dialling Google on a closed network.
export const CHROMIUM_ARGS = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];

export interface Browser {
    context: BrowserContext;
    page: Page;
    /** Closes the browser and removes its profile directory. */
    close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cocoon-web-chromium-'));
    const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 900 },
        args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => console.error('page error:', err.message));
    return {
        context,
        page,
        async close() {
            await context.close();
            fs.rmSync(profileDir, { recursive: true, force: true });
        },
    };
}
