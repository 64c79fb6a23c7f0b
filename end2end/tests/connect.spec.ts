import { test, expect, waitForHydration } from './fixtures';
import {
  HINT, MAPLE, PASSWORD, RIVERBEND, confirmPractice, connectFromHint, createAccount, fillWizard, logIn, logOut, mintCode,
  setFaults, signUp, tokenRequests, uniqueEmail,
} from './journey';

test.afterEach(async ({ request }) => {
  await setFaults(request, {});
});

test('a provider connects a practice from Hint and sees it connected @no-js', async ({ page }) => {
  await connectFromHint(page, RIVERBEND);
  expect(page.url()).not.toContain('code');
  await expect(page.getByRole('navigation', { name: 'Progress' })).toContainText('Your account');
  const email = uniqueEmail();
  await signUp(page, email);
  // The header says who is signed in, and offers a way out instead of "Log in".
  const header = page.getByRole('navigation', { name: 'Main' });
  await expect(header).toContainText(`Signed in as ${email}`);
  await expect(header.getByRole('link', { name: 'Log in' })).toHaveCount(0);
  await confirmPractice(page, RIVERBEND, email);
  await fillWizard(page);
  await expect(page.getByText('Riverbend DPC')).toBeVisible();
  await page.getByRole('button', { name: 'Connect to Hint' }).click();
  await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
  await page.getByRole('link', { name: 'See your practices' }).click();
  await expect(page.getByRole('heading', { name: RIVERBEND.name })).toBeVisible();
  await expect(page.getByText('Connected', { exact: true })).toBeVisible();
  await expect(page.getByText(RIVERBEND.id)).toBeVisible();
});

test('a returning provider logs in and connects another practice @no-js', async ({ page }) => {
  const email = uniqueEmail();
  await page.goto('/signup');
  await signUp(page, email);
  await expect(page).toHaveURL(/\/practices$/);
  await logOut(page);

  await connectFromHint(page, MAPLE);
  await logIn(page, email);
  await confirmPractice(page, MAPLE, email);
  await fillWizard(page);
  await page.getByRole('button', { name: 'Connect to Hint' }).click();
  await expect(page.getByRole('status')).toHaveText(`${MAPLE.name} is connected.`);
});

test.describe('refused forms', () => {
  // With JavaScript, Chromium logs each 400 answer of a refused form on the console.
  test.use({ allowedConsoleErrors: [/status of 400/] });

  test('a wrong password gets a clear error and keeps the connection @no-js', async ({ page }) => {
    const email = uniqueEmail();
    await page.goto('/signup');
    await signUp(page, email);
    await logOut(page);
    await connectFromHint(page, RIVERBEND);
    await logIn(page, email, 'not-the-password');
    await expect(page.getByRole('alert')).toContainText('do not match an account');
    await logIn(page, email);
    await expect(page.getByRole('heading', { name: 'Confirm the practice', exact: true })).toBeVisible();
  });

  test('sign-up with a taken email answers like any sign-up and changes nothing @no-js', async ({ page }) => {
    const email = uniqueEmail();
    await page.goto('/signup');
    await signUp(page, email);
    await logOut(page);
    await page.goto('/signup');
    // Someone else tries the same email with their own password: the same "check your email".
    await createAccount(page, email, 'someone-elses-password');
    await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
    await logIn(page, email, 'someone-elses-password');
    await expect(page.getByRole('alert')).toContainText('do not match an account');
    await logIn(page, email);
    await expect(page.getByRole('heading', { name: 'Your practices' })).toBeVisible();
  });
});

test('a code already used shows what to do next', async ({ page, request }) => {
  const code = await mintCode(request, RIVERBEND.id);
  const spent = await request.post(`${HINT}/api/oauth/tokens`, {
    headers: { authorization: 'Bearer sandbox-partner-key' },
    data: { grant_type: 'authorization_code', code },
  });
  expect(spent.ok()).toBeTruthy();
  await page.goto(`/signup?code=${code}`);
  await expect(page).toHaveURL(/\/onboarding$/);
  await signUp(page, uniqueEmail());
  await expect(page.getByRole('alert')).toContainText('already used or has expired');
  await expect(page.getByRole('alert')).toContainText('Start again from Hint');
  await expect(page.getByRole('button', { name: 'Yes, connect it to my account' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Try again' })).toHaveCount(0);
});

test('an expired code shows what to do next', async ({ page, request }) => {
  const code = await mintCode(request, RIVERBEND.id);
  await request.post(`${HINT}/sandbox/admin/clock`, { data: { advance_seconds: 3600 } });
  await page.goto(`/signup?code=${code}`);
  await signUp(page, uniqueEmail());
  await expect(page.getByRole('alert')).toContainText('already used or has expired');
});

test('a malformed code gets a clear page @no-js', async ({ page }) => {
  await page.goto('/signup?code=not%20a%20code%3Cb%3E');
  await expect(page).toHaveURL(/\/onboarding\?link=invalid$/);
  await expect(page.getByRole('alert')).toContainText('That connection link is not valid');
});

test('a Hint outage before the confirmation says so and Try again goes on @no-js', async ({ page, request }) => {
  await connectFromHint(page, RIVERBEND);
  await setFaults(request, { kind: 'unavailable' });
  await signUp(page, uniqueEmail());
  await expect(page.getByRole('alert')).toContainText('Hint is not reachable right now');
  await setFaults(request, {});
  await page.getByRole('link', { name: 'Try again' }).click();
  await confirmPractice(page, RIVERBEND);
  await expect(page.getByRole('heading', { name: 'Your practice', exact: true })).toBeVisible();
});

test('a Hint outage at the end keeps everything and Try again connects', async ({ page, request }) => {
  await connectFromHint(page, RIVERBEND);
  await signUp(page, uniqueEmail());
  await confirmPractice(page, RIVERBEND);
  await fillWizard(page);
  await setFaults(request, { kind: 'unavailable' });
  await page.getByRole('button', { name: 'Connect to Hint' }).click();
  await expect(page.getByRole('alert')).toContainText('Hint is not reachable right now');
  await setFaults(request, {});
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
});

test('a double click on Connect reaches Hint exactly once', async ({ page, request }) => {
  const before = await tokenRequests(request);
  await connectFromHint(page, RIVERBEND);
  await signUp(page, uniqueEmail());
  await confirmPractice(page, RIVERBEND);
  await fillWizard(page);
  await waitForHydration(page);
  await setFaults(request, { latency_ms: 400 });
  await page.getByRole('button', { name: 'Connect to Hint' }).dblclick();
  await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
  expect(await tokenRequests(request)).toBe(before + 1);
});

test('two tabs opening the confirmation at once reach Hint exactly once', async ({ page, context, request }) => {
  const before = await tokenRequests(request);
  await connectFromHint(page, RIVERBEND);
  await setFaults(request, { latency_ms: 400 });
  // Sign up without leaving the page (the form would load the confirmation, and with it the
  // exchange, in this tab first); then both tabs open it at once.
  const email = uniqueEmail();
  const headers = { accept: 'application/json', origin: new URL(page.url()).origin };
  const signedUp = await page.request.post('/api/sign_up', {
    headers,
    form: { name: 'Dr. Two Tabs', email, password: PASSWORD },
  });
  expect(signedUp.ok()).toBeTruthy();
  const loggedIn = await page.request.post('/api/log_in', { headers, form: { email, password: PASSWORD } });
  expect(loggedIn.ok()).toBeTruthy();
  const second = await context.newPage();
  await Promise.all([page.goto('/onboarding'), second.goto('/onboarding')]);
  for (const tab of [page, second]) {
    await expect(tab.locator('.confirm-statement')).toContainText(RIVERBEND.name);
  }
  expect(await tokenRequests(request)).toBe(before + 1);
});

test('two tabs pressing Connect at once finish once', async ({ page, request }) => {
  const before = await tokenRequests(request);
  await connectFromHint(page, RIVERBEND);
  await signUp(page, uniqueEmail());
  await confirmPractice(page, RIVERBEND);
  await fillWizard(page);
  await setFaults(request, { latency_ms: 400 });
  // page.request shares the browser's cookies: these are two submissions from one session.
  // They carry the page's origin, as the browser's own requests do.
  const headers = { accept: 'application/json', origin: new URL(page.url()).origin };
  const press = () => page.request.post('/api/onboarding/connect', { headers });
  const [first, second] = await Promise.all([press(), press()]);
  expect((await first.json()).status).toBe('connected');
  expect((await second.json()).status).toBe('connected');
  expect(await tokenRequests(request)).toBe(before + 1);
  await page.reload();
  await expect(page.getByRole('status')).toHaveText(`${RIVERBEND.name} is connected.`);
});

test('the wizard resumes at the same step after a reload', async ({ page }) => {
  await connectFromHint(page, MAPLE);
  await signUp(page, uniqueEmail());
  await confirmPractice(page, MAPLE);
  await expect(page.getByLabel('Practice name')).toHaveValue(MAPLE.name);
  await page.getByLabel('Practice name').fill('Maple Street FM');
  await page.getByLabel('Practice phone').fill('503-555-0178');
  await page.getByLabel('Clinicians seeing patients').fill('2');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'You and your preferences', exact: true })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'You and your preferences', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(page.getByLabel('Practice name')).toHaveValue('Maple Street FM');
});
