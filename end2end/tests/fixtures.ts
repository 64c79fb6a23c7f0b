import { test as base, expect } from '@playwright/test';

/**
 * The Playwright `test`, with every page watched: a console error or an uncaught exception
 * fails the test that caused it.
 */
export const test = base.extend<{ consoleErrors: string[]; allowedConsoleErrors: RegExp[] }>({
  /** Console errors a test expects (say, the browser's own note about a 404 page). */
  allowedConsoleErrors: [[], { option: true }],
  consoleErrors: [
    async ({ page, allowedConsoleErrors }, use) => {
      const errors: string[] = [];
      page.on('console', (message) => {
        const text = message.text();
        if (message.type() === 'error' && !allowedConsoleErrors.some((allowed) => allowed.test(text))) {
          errors.push(text);
        }
      });
      page.on('pageerror', (error) => {
        const text = `uncaught: ${error.message}`;
        if (!allowedConsoleErrors.some((allowed) => allowed.test(text))) errors.push(text);
      });
      await use(errors);
      expect(errors, 'the browser console must stay free of errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Resolves once the WebAssembly has hydrated the page (the body is marked by the app). */
export async function waitForHydration(page: import('@playwright/test').Page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
}
