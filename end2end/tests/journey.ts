import { expect, type APIRequestContext, type Page } from '@playwright/test';

/** The built-in Hint sandbox the test server runs (see serve-for-tests.sh). */
export const HINT = `http://127.0.0.1:${process.env.E2E_SANDBOX_PORT ?? 3105}`;
export const PASSWORD = 'correct-horse-battery-staple';
export const RIVERBEND = { id: 'pra-sbxRvbnd0001', name: 'Riverbend Direct Primary Care' };
export const MAPLE = { id: 'pra-sbxMaple0002', name: 'Maple Street Family Medicine' };

export function uniqueEmail(): string {
  return `dr-${Date.now()}-${Math.floor(Math.random() * 1e6)}@practice.example`;
}

/** Clicks Connect for `practice` in the sandbox's marketplace, as a practice admin in Hint. */
export async function connectFromHint(page: Page, practice: { name: string }) {
  await page.goto(`${HINT}/marketplace`);
  await page.getByRole('button', { name: `Connect ${practice.name}` }).click();
  await expect(page).toHaveURL(/\/onboarding$/);
}

/** Sends the sign-up form; the page then asks to check the email (nobody is logged in yet). */
export async function createAccount(page: Page, email: string, password = PASSWORD) {
  const form = page.getByRole('form', { name: 'Create your account' });
  await form.getByLabel('Your name').fill('Dr. Ana Ruiz');
  await form.getByLabel('Work email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Check your email' })).toBeVisible();
  // The log-in form has the email typed and waits for the password.
  const logInForm = page.getByRole('form', { name: 'Log in' });
  await expect(logInForm.getByLabel('Email')).toHaveValue(email);
  await expect(logInForm.getByLabel('Password')).toBeFocused();
}

/** Signs up and logs straight in, as the page after sign-up offers (the email stays unconfirmed). */
export async function signUp(page: Page, email: string) {
  await createAccount(page, email);
  await logIn(page, email);
}

/**
 * Logs out from the header and waits until the browser is back on the home page, signed out. A
 * `goto` right after the click could cancel the log-out request before it reaches the server.
 */
export async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' })).toBeVisible();
}

export async function logIn(page: Page, email: string, password = PASSWORD) {
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
}

/**
 * Says yes on the confirmation step, after checking that it names `practice` (as Hint told us)
 * and, when given, the signed-in `email`.
 */
export async function confirmPractice(page: Page, practice: { name: string }, email?: string) {
  await expect(page.getByRole('heading', { name: 'Confirm the practice', exact: true })).toBeVisible();
  const statement = page.locator('.confirm-statement');
  await expect(statement).toContainText(`Hint practice ${practice.name} will be connected to`);
  if (email) {
    await expect(statement).toContainText(email);
  }
  await page.getByRole('button', { name: 'Yes, connect it to my account' }).click();
}

/** Walks the practice and profile steps to the review step. */
export async function fillWizard(page: Page) {
  await expect(page.getByRole('heading', { name: 'Your practice', exact: true })).toBeVisible();
  await page.getByLabel('Practice name').fill('Riverbend DPC');
  await page.getByLabel('Practice phone').fill('512-555-0142');
  await page.getByLabel('Clinicians seeing patients').fill('3');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'You and your preferences', exact: true })).toBeVisible();
  await page.getByLabel('Your role').selectOption('physician');
  await page.getByLabel('Your phone').fill('512-555-0100');
  await page.getByLabel('Email me if the connection needs attention').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Review and connect', exact: true })).toBeVisible();
}

/** A new provider connects `practice` in a browser context of its own; returns their email. */
export async function providerConnects(
  browser: import('@playwright/test').Browser,
  practice: { id: string; name: string } = RIVERBEND,
  email: string = uniqueEmail(),
): Promise<string> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await connectFromHint(page, practice);
  await signUp(page, email);
  await confirmPractice(page, practice, email);
  await fillWizard(page);
  await page.getByRole('button', { name: 'Connect to Hint' }).click();
  await expect(page.getByRole('status')).toHaveText(`${practice.name} is connected.`);
  await context.close();
  return email;
}

/** A fresh code from the sandbox, without the browser round trip. */
export async function mintCode(request: APIRequestContext, practiceId: string): Promise<string> {
  const response = await request.post(`${HINT}/sandbox/admin/codes`, { data: { practice_id: practiceId } });
  expect(response.ok()).toBeTruthy();
  return (await response.json()).code;
}

export async function setFaults(request: APIRequestContext, faults: object) {
  const response = await request.put(`${HINT}/sandbox/admin/faults`, { data: faults });
  expect(response.ok()).toBeTruthy();
}

export async function tokenRequests(request: APIRequestContext): Promise<number> {
  const response = await request.get(`${HINT}/sandbox/admin/stats`);
  return (await response.json()).token_requests;
}
