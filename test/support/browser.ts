/**
 * The console in a real browser: Debian's Chromium driven by playwright-core (no browser download), axe-core
 * for accessibility, and screenshots of each main screen at a phone's and a desktop's size, kept under
 * test-results/screenshots/ (the README says where) for people to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './servers.js';

/** axe-core's browser build, as text: it runs in the page, not here. */
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');

/** The flags a sandboxed, offline machine needs (see the machine's notes: background networking is refused). */
const FLAGS = ['--lang=id-ID', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}

export const PHONE = { width: 360, height: 740 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/**
 * A person's own browser: an Indonesian phone by default, in a time zone other than WIB (the console must
 * show WIB whatever the device says). Page errors fail the test that caused them.
 */
export async function personContext(browser: Browser, options: { viewport?: { width: number; height: number }; timezoneId?: string } = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: options.viewport ?? PHONE, locale: 'id-ID', timezoneId: options.timezoneId ?? 'Europe/Amsterdam' });
}

export interface WatchedPage {
  readonly page: Page;
  /** Uncaught errors and CSP violations the page reported. */
  readonly errors: string[];
}

export async function watchedPage(context: BrowserContext): Promise<WatchedPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) errors.push(message.text());
  });
  return { page, errors };
}

/** Signs in with the code of an invitation link, as a person opening it would. */
export async function signIn(page: Page, baseUrl: string, link: string): Promise<void> {
  const code = new URL(link).hash.replace(/^#code=/, '');
  await page.goto(`${baseUrl}/sign-in#code=${code}`);
  await page.getByRole('navigation').waitFor();
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/** axe-core's serious and critical WCAG 2.x A/AA findings on the page as it is now. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol, which the page's CSP does not govern (an injected <script> would be refused).
  await page.evaluate(AXE_SOURCE);
  // Written as the page's own script (this file is compiled without the DOM's types).
  const results = await page.evaluate<AxeViolation[]>(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
    .then((found) => found.violations.map((violation) => ({
      id: violation.id, impact: violation.impact ?? null, help: violation.help, nodes: violation.nodes.map((node) => node.target.join(' ')),
    })))`);
  return results.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** The screen at a phone's and a desktop's size, whole pages, for people to look at. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize() ?? PHONE;
  for (const [label, size] of [['360x740', PHONE], ['1280x800', DESKTOP]] as const) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true, animations: 'disabled' });
  }
  await page.setViewportSize(before);
}

/** A screen checked as people meet it: no serious accessibility finding, then screenshots at both sizes. */
export async function lookAt(page: Page, name: string): Promise<void> {
  expect({ screen: name, violations: await seriousViolations(page) }).toEqual({ screen: name, violations: [] });
  await screenshots(page, name);
}
