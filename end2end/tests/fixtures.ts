import { test as base, expect } from '@playwright/test';

/**
 * The Playwright `test`, with every page watched: a console error or an uncaught exception
 * fails the test that caused it.
 */
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
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
