import { test, expect } from './fixtures';
import { staffLogIn } from './staff';

test('an admin makes a service token, sees it once, and revokes it', async ({ page, request }) => {
  await staffLogIn(page, 'admin');
  await page.getByRole('link', { name: 'Partner API' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Partner API');

  const name = `e2e-${Date.now()}`;
  await page.getByText('New service token…').click();
  const form = page.getByRole('form', { name: 'New service token' });
  await form.getByLabel('Name (the service that will hold it)').fill(name);
  // Right after logging in, the login is the confirmation: password and code may stay empty.
  await form.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'The new token, shown once' });
  await expect(shown).toBeVisible();
  const token = (await shown.locator('code').textContent()) ?? '';
  expect(token).toMatch(/^pcs_[A-Za-z0-9_-]{43}$/);
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('connections:read');

  const listed = await request.get('/v1/connections', { headers: { authorization: `Bearer ${token}` } });
  expect(listed.status()).toBe(200);

  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Revoked ${name}` })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: name })).toHaveCount(0);
  const refused = await request.get('/v1/connections', { headers: { authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);
  expect(refused.headers()['content-type']).toBe('application/problem+json');
});
