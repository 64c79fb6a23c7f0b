import type { APIRequestContext, Page } from '@playwright/test';
import { test, expect, waitForHydration } from './fixtures';
import { confirmPractice, connectFromHint, fillWizard, RIVERBEND, signUp, uniqueEmail } from './journey';
import { staffLogIn } from './staff';

// The build is split (`cargo leptos build --split`): the staff pages' WebAssembly lives in files
// of their own, which a provider's browser must never download.

/**
 * The WebAssembly files only the staff pages need, read from the split build's manifest: each
 * staff page's own file, and the parts shared among staff pages alone (a part a provider's page
 * needs too is not staff code).
 */
async function staffFiles(request: APIRequestContext): Promise<Set<string>> {
  const response = await request.get('/pkg/__wasm_split_manifest.json');
  expect(response.ok(), 'the build must be split: cargo leptos build --split').toBeTruthy();
  const manifest: Record<string, string[]> = await response.json();
  const staff = new Set<string>();
  const providers = new Set<string>();
  for (const [split, parts] of Object.entries(manifest)) {
    parts.forEach((part) => (split.includes('admin') ? staff : providers).add(`${part}.wasm`));
  }
  providers.forEach((part) => staff.delete(part));
  return staff;
}

/** Records the name of every WebAssembly file the page asks for. */
function wasmRequests(page: Page): string[] {
  const names: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) names.push(path.split('/').pop()!);
  });
  return names;
}

test("a provider's journey downloads no staff code", async ({ page, request }) => {
  const staff = await staffFiles(request);
  expect(staff.size, 'the staff pages have WebAssembly of their own').toBeGreaterThan(0);
  const loaded = wasmRequests(page);

  for (const path of ['/', '/signup', '/login', '/forgot-password']) {
    await page.goto(path);
    await waitForHydration(page);
  }
  await connectFromHint(page, RIVERBEND);
  await waitForHydration(page);
  const email = uniqueEmail();
  await signUp(page, email);
  await confirmPractice(page, RIVERBEND, email);
  await fillWizard(page);
  await page.getByRole('button', { name: 'Connect to Hint' }).click();
  await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
  await page.getByRole('link', { name: 'See your practices' }).click();
  await expect(page.getByRole('heading', { name: RIVERBEND.name })).toBeVisible();

  expect(loaded.length, 'the pages hydrated from the main WebAssembly').toBeGreaterThan(0);
  expect(loaded.filter((name) => staff.has(name))).toEqual([]);
});

test('a staff page downloads its own code and works', async ({ page, request }) => {
  const staff = await staffFiles(request);
  const loaded = wasmRequests(page);
  await page.goto('/admin/login');
  await waitForHydration(page);
  expect(loaded.filter((name) => staff.has(name)).length).toBeGreaterThan(0);
  // The hydrated staff pages work: the login, the authenticator set-up, the dashboard.
  await staffLogIn(page, 'support');
  await page.getByRole('button', { name: 'Log out of staff' }).click();
  await expect(page).toHaveURL(/\/admin\/login$/);
});
