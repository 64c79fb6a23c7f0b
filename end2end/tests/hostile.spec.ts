import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { test, expect } from './fixtures';
import { MAPLE, PASSWORD, mintCode, signUp, uniqueEmail } from './journey';
import { staffLogIn } from './staff';

/**
 * Attacks from another site. The attacker's pages are served from `localhost:<port>`, which the
 * browser treats as a different site from the app on `127.0.0.1`. Each attack must fail.
 */

let attacker: http.Server;
let attackerOrigin = '';
let app = '';

/** The attacker's page for `path`, with `query` from the test. */
function page(path: string, query: URLSearchParams): string {
  const field = (name: string) => (query.get(name) ?? '').replace(/[^\w@.\-:/]/g, '');
  const autoSubmit = (action: string, fields: Record<string, string>) => `
    <form id="f" method="post" action="${app}${action}">
      ${Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('')}
    </form>
    <script>document.getElementById('f').submit();</script>`;
  switch (path) {
    case '/login':
      return autoSubmit('/api/log_in', { email: field('email'), password: field('password') });
    case '/reveal':
      return autoSubmit('/api/admin/action', { id: field('id'), action: 'reveal' });
    case '/gift':
      return `<a href="${app}/signup?code=${field('code')}">Claim your free gift</a>`;
    default:
      return 'nothing here';
  }
}

test.beforeAll(async ({}, testInfo) => {
  app = String(testInfo.project.use.baseURL);
  attacker = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><title>Totally legit</title>${page(url.pathname, url.searchParams)}`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => attacker.close(resolve));
});

/** Who the browser's session belongs to, asked from the app's own origin. */
async function signedInEmail(p: import('@playwright/test').Page): Promise<string | null> {
  const answer = await p.request.post('/api/current_user', {
    headers: { accept: 'application/json', origin: new URL(app).origin },
  });
  const user = await answer.json();
  return user?.email ?? null;
}

test.describe('from another site', () => {
  // The refused requests show in the console as failed loads.
  test.use({ allowedConsoleErrors: [/status of 403/] });

  test('an auto-submitting login form leaves the victim signed in as themselves', async ({ page, browser }) => {
    // The attacker's own account, made elsewhere.
    const attackerEmail = uniqueEmail();
    const elsewhere = await browser.newContext();
    const attackerPage = await elsewhere.newPage();
    await attackerPage.goto(`${app}/signup`);
    await signUp(attackerPage, attackerEmail);
    await elsewhere.close();

    const victim = uniqueEmail();
    await page.goto('/signup');
    await signUp(page, victim);
    await expect(page).toHaveURL(/\/practices$/);
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/log_in'));
    await page.goto(`${attackerOrigin}/login?email=${encodeURIComponent(attackerEmail)}&password=${PASSWORD}`);
    expect((await refused).status()).toBe(403);
    await page.goto('/practices');
    expect(await signedInEmail(page)).toBe(victim);
  });

  test("a stranger's landing link names the practice and binds nothing until the victim says yes", async ({ page, request }) => {
    const victim = uniqueEmail();
    await page.goto('/signup');
    await signUp(page, victim);
    await expect(page).toHaveURL(/\/practices$/);
    const code = await mintCode(request, MAPLE.id);
    await page.goto(`${attackerOrigin}/gift?code=${code}`);
    await page.getByRole('link', { name: 'Claim your free gift' }).click();
    await expect(page).toHaveURL(/\/onboarding$/);
    const statement = page.locator('.confirm-statement');
    await expect(statement).toContainText(`Hint practice ${MAPLE.name} will be connected to`);
    await expect(statement).toContainText(victim);
    await page.goto('/practices');
    await expect(page.getByText(MAPLE.name)).toHaveCount(0);
    await page.goto('/onboarding');
    await page.getByRole('button', { name: 'This is not my practice' }).click();
    await expect(page).toHaveURL(/\/practices$/);
    await expect(page.getByText(MAPLE.name)).toHaveCount(0);
  });

  test('a cross-site POST to a server function with a staff cookie is refused', async ({ page }) => {
    await staffLogIn(page, 'admin');
    const refused = page.waitForResponse((r) => r.url().endsWith('/api/admin/action'));
    await page.goto(`${attackerOrigin}/reveal?id=anything`);
    expect((await refused).status()).toBe(403);
  });
});
