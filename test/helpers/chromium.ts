/**
 * Debian's Chromium driven by playwright-core, for the HTML report tests: a fresh profile,
 * no background networking, every request that is not file: or data: recorded and aborted.
 * The network is closed where the tests run; a report must not need it anyway.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_BIN = process.env.HERD_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_BIN);

const ARGS = [
  '--headless',
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
  /** URLs the pages tried to fetch that are not file: or data: (all aborted) */
  leaks: string[];
  close(): Promise<void>;
}

/** Debian's chromium; missing, the test fails (scripts/ensure-system-deps.sh installs it). */
export async function launchChromium(viewport = { width: 1366, height: 900 }): Promise<Browser> {
  if (!chromiumAvailable())
    throw new Error(`${CHROMIUM_BIN} is missing: Debian's chromium is installed by scripts/ensure-system-deps.sh`);
  const profile = mkdtempSync(join(tmpdir(), 'herd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: ARGS,
    viewport,
    deviceScaleFactor: 1,
    offline: true,
  });
  const leaks: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    leaks.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith('file:') && !url.startsWith('data:') && !leaks.includes(url)) leaks.push(url);
  });
  return {
    context,
    leaks,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The little of the DOM the in-page functions use: the test tree compiles without lib "dom"
 * (it would retype Node's globals for the whole program), so they reach the page through
 * `globalThis as unknown as InPage`.
 */
export interface InPage {
  document: {
    querySelector(selector: string): InPageElement | null;
    querySelectorAll(selector: string): Iterable<InPageElement>;
  };
  /** set by the report's script once every chart is drawn: ms since navigation start */
  herdReportReady?: number;
}
export interface InPageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): InPageElement | null;
  querySelectorAll(selector: string): Iterable<InPageElement>;
}
export interface InPageCanvas extends InPageElement {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

export interface OpenedReport {
  page: Page;
  /** console errors and uncaught exceptions */
  errors: string[];
  /** wall-clock ms from navigation to every chart drawn, measured from the test: to print, not to assert */
  openMs: number;
  /** ms from the page's navigation start to every chart drawn, measured in the page: to print */
  readyMs: number;
  /** charts the page says it drew */
  charts: number;
}

/** Opens a report file and waits until its script has drawn every chart. */
export async function openReport(browser: Browser, file: string): Promise<OpenedReport> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  const t0 = performance.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForFunction(() => (globalThis as unknown as InPage).herdReportReady !== undefined, undefined, {
    timeout: 20_000,
  });
  const openMs = performance.now() - t0;
  const readyMs = await page.evaluate(() => (globalThis as unknown as InPage).herdReportReady ?? NaN);
  const charts = Number(await page.getAttribute('html', 'data-charts'));
  return { page, errors, openMs, readyMs, charts };
}

export interface ChartPixels {
  chart: string;
  width: number;
  height: number;
  /** pixels of a saturated colour (the series strokes; axes and grid are grey) */
  colored: number;
}

/** For every chart box, how many of its canvas pixels are drawn in colour. */
export function chartPixels(page: Page): Promise<ChartPixels[]> {
  return page.evaluate(() =>
    Array.from((globalThis as unknown as InPage).document.querySelectorAll('[data-chart]')).map((el) => {
      const chart = el.getAttribute('data-chart') ?? '?';
      const canvas = el.querySelector('canvas') as InPageCanvas | null;
      if (canvas === null) return { chart, width: 0, height: 0, colored: 0 };
      const ctx = canvas.getContext('2d');
      if (ctx === null) return { chart, width: canvas.width, height: canvas.height, colored: 0 };
      const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let colored = 0;
      for (let i = 0; i < px.length; i += 4) {
        const r = px[i] ?? 0;
        const g = px[i + 1] ?? 0;
        const b = px[i + 2] ?? 0;
        const a = px[i + 3] ?? 0;
        if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) colored++;
      }
      return { chart, width: canvas.width, height: canvas.height, colored };
    }),
  );
}
