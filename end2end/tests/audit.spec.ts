import { test, expect } from './fixtures';
import { staffLogIn } from './staff';

test('an admin filters the audit log and takes it away as CSV, and the export is on record', async ({ page }) => {
  await staffLogIn(page, 'admin');
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit log');
  // The login that just happened is on the log.
  await expect(page.getByRole('row').filter({ hasText: 'staff login' }).first()).toBeVisible();

  const filters = page.getByRole('search', { name: 'Filter the audit log' });
  await filters.getByLabel('Action').selectOption('staff_login');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/action=staff_login/);
  const rows = page.locator('table.audit tbody tr');
  await expect(rows.first()).toContainText('staff login');
  for (const text of await rows.allTextContents()) {
    expect(text).toContain('staff login');
  }

  const download = page.waitForEvent('download');
  await filters.getByRole('link', { name: 'Export CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('audit-log.csv');
  const stream = await file.createReadStream();
  let csv = '';
  for await (const chunk of stream) csv += chunk;
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('id,at,actor_kind,actor_id,action,connection_id,ip,outcome,detail');
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines.slice(1)) expect(line).toContain(',staff_login,');

  await filters.getByLabel('Action').selectOption('audit_exported');
  await filters.getByRole('button', { name: 'Apply' }).click();
  await expect(rows.first()).toContainText('csv action=staff_login');
});
