import * as path from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { HINT, RIVERBEND, confirmPractice, connectFromHint, fillWizard, providerConnects, signUp, uniqueEmail } from '../tests/journey';
import { staffLogIn } from '../tests/staff';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

async function shot(page: Page, name: string) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

test('the main screens', async ({ page, browser }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await shot(page, '01-home');

  await connectFromHint(page, RIVERBEND);
  await shot(page, '02-landing-sign-up');
  const email = uniqueEmail();
  await signUp(page, email);
  await expect(page.getByRole('heading', { name: 'Confirm the practice', exact: true })).toBeVisible();
  await shot(page, '03-confirm-practice');
  await confirmPractice(page, RIVERBEND, email);
  await expect(page.getByRole('heading', { name: 'Your practice', exact: true })).toBeVisible();
  await shot(page, '04-wizard-practice');
  await fillWizard(page);
  await shot(page, '05-wizard-review');
  await page.getByRole('button', { name: 'Connect to Hint' }).click();
  await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
  await shot(page, '06-connected');

  await providerConnects(browser, { id: 'pra-sbxMaple0002', name: 'Maple Street Family Medicine' });
  const staff = await browser.newPage();
  await staffLogIn(staff, 'admin');
  await shot(staff, '07-dashboard');
  await staff.getByRole('link', { name: RIVERBEND.name }).first().click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText(RIVERBEND.name);
  await shot(staff, '08-connection-detail');
  await staff.setViewportSize({ width: 390, height: 844 });
  await shot(staff, '09-detail-phone');
  await staff.setViewportSize({ width: 1280, height: 860 });
  await staff.emulateMedia({ colorScheme: 'dark' });
  await staff.goto('/admin');
  await shot(staff, '10-dashboard-dark');

  await page.goto(`${HINT}/marketplace/practices/${RIVERBEND.id}/settings`);
  await expect(page.frameLocator('iframe').getByRole('heading', { name: `practice-connect for ${RIVERBEND.name}` })).toBeVisible();
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(OUT, '11-inside-hint-settings.png'), fullPage: true });
});
