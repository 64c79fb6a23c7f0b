import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { RIVERBEND, confirmPractice, connectFromHint, fillWizard, providerConnects, signUp, uniqueEmail } from './journey';
import { staffLogIn } from './staff';

/**
 * Accessibility: axe-core (WCAG 2.2 A and AA rules) on every page and wizard step, signed out and
 * signed in, in the light and the dark colour scheme and at phone width, hydrated and as the
 * server renders it (what a browser without JavaScript shows). Any violation fails.
 *
 * axe itself is JavaScript, so "without JavaScript" is the same browser with the app's own
 * scripts and WebAssembly blocked: the page stays exactly as the server sent it.
 */
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const looks = [
  { name: 'light', colorScheme: 'light' as const, width: 1280 },
  { name: 'dark', colorScheme: 'dark' as const, width: 1280 },
  { name: 'phone', colorScheme: 'light' as const, width: 390 },
];

async function violations(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const look of looks) {
    await page.emulateMedia({ colorScheme: look.colorScheme });
    await page.setViewportSize({ width: look.width, height: 900 });
    const results = await new AxeBuilder({ page }).withTags(WCAG).analyze();
    for (const v of results.violations) {
      found.push(`${look.name} ${new URL(page.url()).pathname}: ${v.id} (${v.impact}) ×${v.nodes.length} at ${v.nodes[0]?.target}`);
    }
  }
  return found;
}

for (const scripts of ['hydrated', 'server-rendered'] as const) test.describe(`axe, ${scripts}`, () => {
  // One pattern: Playwright would read an array of several as [value, options].
  test.use({
    allowedConsoleErrors: scripts === 'hydrated'
      ? [/status of 404/]
      : [/status of 404|Failed to load resource|Failed to fetch dynamically imported module/],
  });
  test.beforeEach(async ({ page }) => {
    if (scripts === 'server-rendered') {
      await page.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
    }
  });

  test('the public pages', async ({ page }) => {
    // Eleven pages, each in three looks: more than the default 30 seconds.
    test.slow();
    const found: string[] = [];
    const pages = ['/', '/login', '/signup', '/forgot-password', '/reset-password?token=expired',
      '/verify-email?token=x', '/unsubscribe?k=x&t=y', '/admin/login', '/admin/welcome?token=x',
      '/hint/settings', '/no/such/page'];
    for (const path of pages) {
      await page.goto(path);
      found.push(...(await violations(page)));
    }
    expect(found).toEqual([]);
  });

  test('every wizard step and the practices page', async ({ page }) => {
    // Seven pages, each in three looks, after a whole journey: near the default 30 seconds.
    test.slow();
    const found: string[] = [];
    await connectFromHint(page, RIVERBEND);
    found.push(...(await violations(page)));
    const email = uniqueEmail();
    await signUp(page, email);
    await expect(page.getByRole('heading', { name: 'Confirm the practice', exact: true })).toBeVisible();
    found.push(...(await violations(page)));
    await confirmPractice(page, RIVERBEND, email);
    await expect(page.getByRole('heading', { name: 'Your practice', exact: true })).toBeVisible();
    found.push(...(await violations(page)));
    await fillWizard(page);
    found.push(...(await violations(page)));
    await page.getByRole('button', { name: 'Connect to Hint' }).click();
    await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
    found.push(...(await violations(page)));
    await page.goto('/practices');
    found.push(...(await violations(page)));
    await page.goto('/account');
    found.push(...(await violations(page)));
    expect(found).toEqual([]);
  });

  test('the staff pages', async ({ page, browser }) => {
    const found: string[] = [];
    await providerConnects(browser);
    await staffLogIn(page, 'admin');
    found.push(...(await violations(page)));
    await page.getByRole('link', { name: RIVERBEND.name }).first().click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(RIVERBEND.name);
    found.push(...(await violations(page)));
    await page.goto('/admin/audit');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit log');
    found.push(...(await violations(page)));
    expect(found).toEqual([]);
  });
});
