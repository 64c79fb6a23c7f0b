import { test, expect, waitForHydration } from './fixtures';

test('the home page explains how to connect @no-js', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle('Connect your Hint practice · practice-connect');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connect your Hint practice');
  await expect(page.getByRole('heading', { name: 'How connecting works' })).toBeVisible();
  // Development mode (as the tests run): the way to try it is on the page itself.
  await expect(page.getByRole('heading', { name: 'Try it here: this is a local sandbox' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Open the sandbox marketplace' })).toHaveAttribute('href', /\/marketplace$/);
  await expect(page.getByRole('link', { name: 'development outbox' })).toHaveAttribute('href', '/dev/outbox');
});

test('the home page hydrates and its status check calls the server', async ({ page }) => {
  await page.goto('/');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Check system status' }).click();
  const status = page.getByRole('status');
  await expect(status).toContainText('The service is working.');
  // Development mode (as the tests run) links the sandbox; internals are for staff only.
  await expect(status.getByRole('link', { name: 'Open its marketplace' })).toBeVisible();
  await expect(status).not.toContainText('SQLite');
});

test.describe('an unknown address', () => {
  // Chromium reports the 404 of the page itself on the console.
  test.use({ allowedConsoleErrors: [/status of 404/] });

  test('shows a helpful not-found page', async ({ page }) => {
  const response = await page.goto('/no-such-page');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Go to the home page' })).toBeVisible();
  });
});
