import { test, expect } from './fixtures';
import {
  HINT, PASSWORD, RIVERBEND, providerConnects, setFaults, signUp, uniqueEmail,
} from './journey';
import { nextCode, staffLogIn, staffLogInAgain } from './staff';

test.afterEach(async ({ request }) => {
  await setFaults(request, {});
});

test('an admin finds, verifies, deactivates and exports a connected practice @no-js', async ({ page, browser, request }) => {
  const email = await providerConnects(browser);
  await staffLogIn(page, 'admin');

  // Find it by the provider's email, then by status.
  const search = page.getByRole('search', { name: 'Find connections' });
  await search.getByLabel('Search').fill(email);
  await search.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`q=${encodeURIComponent(email).replace(/\./g, '\\.')}`));
  await expect(page.getByRole('status').filter({ hasText: 'connections' })).toHaveText(/^1 connections/);
  await page.goto('/admin?status=connected');
  await expect(page.getByLabel('Status')).toHaveValue('connected');
  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  await page.getByRole('link', { name: RIVERBEND.name }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(RIVERBEND.name);
  await expect(page.getByText('••••••••')).toBeVisible();

  // Verify the key. With JavaScript the result is announced; without, the page shows its effect.
  const hydrated = test.info().project.name === 'chromium';
  const today = new Date().toISOString().slice(0, 10);
  await page.getByText('Verify key now…').click();
  await page.getByRole('button', { name: 'Yes, verify key now' }).click();
  if (hydrated) await expect(page.getByRole('status').filter({ hasText: 'The key works' })).toBeVisible();
  await expect(page.locator('dt:has-text("Last verified") + dd')).toHaveText(today);
  await expect(page.getByRole('listitem').filter({ hasText: 'key verified by staff' }).first()).toBeVisible();

  // Deactivate; the sandbox shows the integration inactive.
  await page.getByText('Deactivate…').click();
  await page.getByRole('button', { name: 'Yes, deactivate' }).click();
  if (hydrated) await expect(page.getByRole('status').filter({ hasText: 'Deactivated at Hint' })).toBeVisible();
  await expect(page.locator('.page-head .badge')).toHaveText('Disconnected');
  const marketplace = await request.get(`${HINT}/marketplace`);
  expect(await marketplace.text()).toContain('inactive');

  // Export the filtered view.
  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Export CSV' }).click();
  const csv = await (await download).path();
  const text = require('fs').readFileSync(csv, 'utf8') as string;
  expect(text.split('\n')[0]).toBe('practice_name,practice_id,integration_id,status,provider_name,provider_email,provider_email_verified,connected_at,last_verified_at');
  expect(text).toContain(`${RIVERBEND.name},${RIVERBEND.id}`);
  expect(text).toContain(email);
});

test.describe('the second factor', () => {
  // With JavaScript, Chromium logs the 400 answer of the refused wrong code on the console.
  test.use({ allowedConsoleErrors: [/status of 400/] });

test('an admin sets up an authenticator, logs in with it, and reveals a key after confirming @no-js', async ({ page, browser }) => {
  await providerConnects(browser);
  const admin = await staffLogIn(page, 'admin');
  await page.getByRole('button', { name: 'Log out of staff' }).click();
  await expect(page).toHaveURL(/\/admin\/login$/);

  // The second login asks for a code; a wrong one is refused with a clear message.
  await staffLogInAgain(page, admin);
  await page.getByRole('link', { name: RIVERBEND.name }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(RIVERBEND.name);
  const masked = await page.locator('dt:has-text("Practice key") + dd code').innerText();
  const last4 = masked.replace(/•/g, '');

  // The reveal asks for the password and a fresh code.
  await page.getByText('Reveal full key…').click();
  const confirm = page.getByRole('form', { name: 'Confirm: reveal full key' });
  await confirm.getByLabel('Your password').fill(PASSWORD);
  await confirm.getByLabel('Authenticator code').fill('000000');
  await confirm.getByRole('button', { name: 'Yes, reveal full key' }).click();
  await expect(page.getByRole('alert')).toContainText('code is not right');

  await page.goto(page.url());
  await page.getByText('Reveal full key…').click();
  await confirm.getByLabel('Your password').fill(PASSWORD);
  await confirm.getByLabel('Authenticator code').fill(await nextCode(admin));
  await confirm.getByRole('button', { name: 'Yes, reveal full key' }).click();
  const key = page.getByRole('status').filter({ hasText: new RegExp(`[A-Za-z0-9]{31}${last4}`) });
  await expect(key).toBeVisible();
  // Shown once: a reload shows the masked key only.
  await page.reload();
  await expect(page.getByText(new RegExp(`[A-Za-z0-9]{31}${last4}`))).toHaveCount(0);
  await expect(page.getByRole('listitem').filter({ hasText: 'key revealed by staff' }).first()).toBeVisible();
});
});

test('support staff see connections but cannot reveal or deactivate', async ({ page, browser }) => {
  await providerConnects(browser);
  await staffLogIn(page, 'support');
  await page.getByRole('link', { name: RIVERBEND.name }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(RIVERBEND.name);
  await expect(page.getByText('actions need an admin')).toBeVisible();
  await expect(page.getByText('Reveal full key…')).toHaveCount(0);
  await expect(page.getByText('Deactivate…')).toHaveCount(0);
  // The server refuses too, whatever the page shows.
  // From the page's own origin, so it is the role check that refuses it.
  const refused = await page.request.post('/api/admin/action', {
    headers: { accept: 'application/json', origin: new URL(page.url()).origin },
    form: { id: 'anything', action: 'reveal' },
  });
  expect(refused.status()).toBe(403);
});

test('a provider is refused on the dashboard @no-js', async ({ page }) => {
  await page.goto('/signup');
  await signUp(page, uniqueEmail());
  await expect(page).toHaveURL(/\/practices$/);
  await page.goto('/admin');
  await expect(page.getByRole('alert')).toContainText('for partner staff only');
  const refused = await page.request.get('/admin/export.csv');
  expect(refused.status()).toBe(403);
});

test('the dashboard list keeps its state in the URL and works on a phone', async ({ page, browser }) => {
  await providerConnects(browser);
  await page.setViewportSize({ width: 390, height: 844 });
  await staffLogIn(page, 'admin');
  await page.getByRole('link', { name: 'Practice', exact: true }).click();
  await expect(page).toHaveURL(/sort=practice_name&dir=asc/);
  await expect(page.getByRole('columnheader', { name: /^Practice\b(?! id)/ })).toHaveAttribute('aria-sort', 'ascending');
  await page.goBack();
  await expect(page).toHaveURL(/\/admin$/);
});
