import { test, expect } from './fixtures';
import { RIVERBEND, confirmPractice, connectFromHint, providerConnects, signUp } from './journey';
import { staffLogIn } from './staff';

/** Pages that say where people stand, at any width. */

/** A 60-character email, as some practices have. */
function longEmail(): string {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const local = `dr-${stamp}-`.padEnd(60 - '@practice.example'.length, 'x');
  return `${local}@practice.example`;
}

async function noSidewaysScroll(page: import('@playwright/test').Page) {
  const wide = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} ${Math.round(el.getBoundingClientRect().right)} > ${limit}`);
  });
  expect(wide).toEqual([]);
}

test('the wizard moves focus to each new step heading', async ({ page }) => {
  await connectFromHint(page, RIVERBEND);
  const email = longEmail();
  await signUp(page, email);
  await expect(page.locator('#step-heading')).toHaveText('Confirm the practice');
  await expect(page.locator('#step-heading')).toBeFocused();
  await confirmPractice(page, RIVERBEND, email);
  await expect(page.locator('#step-heading')).toHaveText('Your practice');
  await expect(page.locator('#step-heading')).toBeFocused();
});

test('the detail page wraps a long email, times its timeline, and the chart has its numbers @no-js', async ({ page, browser }) => {
  // A provider with a 60-character email connects.
  const email = longEmail();
  expect(email).toHaveLength(60);
  await providerConnects(browser, RIVERBEND, email);

  await staffLogIn(page, 'support');
  // The chart's numbers are there in text too: a row per day.
  await expect(page.locator('.chart svg text.axis').first()).toBeAttached();
  await expect(page.locator('details.chart-numbers tbody tr')).toHaveCount(30);

  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  await page.getByRole('link', { name: RIVERBEND.name }).first().click();
  await expect(page.getByText(email)).toBeVisible();
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await noSidewaysScroll(page);
  }
  // Each timeline entry has a time of day and an age.
  const first = page.locator('.timeline li').first();
  await expect(first.locator('time')).toHaveText(/\d{1,2}:\d{2}/);
  await expect(first).toContainText(/just now|minutes? ago/);
});
