import { test, expect } from './fixtures';
import { HINT, providerConnects } from './journey';

/**
 * Our settings surface inside Hint: the sandbox plays Hint's practice settings page, which signs
 * a handshake to the app and frames /hint/settings with the session key it gets back.
 */
const HARBOR = { id: 'pra-sbxHarbr0003', name: 'Harbor Light DPC' };
const SUMMIT = { id: 'pra-sbxSummt0004', name: 'Summit Ridge Health' };

function surface(page: import('@playwright/test').Page) {
  return page.frameLocator('iframe[title="practice-connect settings"]');
}

test('inside Hint, a connected practice sees its connection and changes its preferences @no-js', async ({ page, browser }) => {
  await providerConnects(browser, HARBOR);
  await page.goto(`${HINT}/marketplace/practices/${HARBOR.id}/settings`);
  const frame = surface(page);
  await expect(frame.getByRole('heading', { name: `practice-connect for ${HARBOR.name}` })).toBeVisible();
  await expect(frame.locator('dt:has-text("Status") + dd')).toHaveText('Connected');
  await expect(frame.locator('dt:has-text("What to do") + dd')).toHaveText('Nothing to do: the connection works.');

  // The wizard's choices, editable here: the provider asked for alerts, not the summary.
  await expect(frame.getByLabel('Email the provider when the connection needs attention')).toBeChecked();
  const weekly = frame.getByLabel('Send the provider a weekly summary');
  await expect(weekly).not.toBeChecked();
  await weekly.check();
  await frame.getByRole('button', { name: 'Save preferences' }).click();
  if (test.info().project.name === 'chromium') {
    await expect(frame.getByRole('status')).toHaveText('Saved.');
  } else {
    // Without JavaScript the frame reloads with the saved choice.
    await expect(frame.getByLabel('Send the provider a weekly summary')).toBeChecked();
  }

  // Hint opens the page again (a new handshake, a new key): the choice was kept.
  await page.reload();
  await expect(surface(page).getByLabel('Send the provider a weekly summary')).toBeChecked();
});

test('inside Hint, a practice that is not connected is told how to connect @no-js', async ({ page }) => {
  await page.goto(`${HINT}/marketplace/practices/${SUMMIT.id}/settings`);
  await expect(surface(page).getByText('not connected to practice-connect yet')).toBeVisible();
});

test('the surface opened directly, without a key, says to open it from Hint @no-js', async ({ page }) => {
  const response = await page.goto('/hint/settings');
  expect(response?.status()).toBe(200);
  await expect(page.getByText('Open this page from inside Hint')).toBeVisible();
  // No header or footer of ours around it.
  await expect(page.getByRole('link', { name: 'Staff dashboard' })).toHaveCount(0);
});
