import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { PASSWORD } from './journey';

/** The repository's root, where serve-for-tests.sh runs the server. */
const ROOT = path.resolve(__dirname, '..', '..');

/** A staff member as a test knows them: their authenticator's secret and what it has used. */
export interface Staff {
  email: string;
  secret: Buffer;
  recoveryCodes: string[];
  /** The newest 30-second step a code was typed for (each code works once). */
  lastStep: number;
}

/** Adds a staff member with the command line, as an operator does, on the test server's database. */
export function addStaff(role: 'admin' | 'support'): string {
  const email = `${role}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@partner.example`;
  execFileSync(
    path.join(ROOT, 'target/debug/practice-connect'),
    ['staff', 'add', '--email', email, '--name', `Test ${role}`, '--role', role],
    {
      cwd: ROOT,
      input: `${PASSWORD}\n`,
      env: { ...process.env, APP_ENV: 'development', DATABASE_URL: 'sqlite://target/e2e/app.db' },
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
  return email;
}

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/[\s=]/g, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit RFC 6238 code (SHA-1, 30-second steps) of `secret` for `step`, as an authenticator app computes it. */
export function totp(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** A code the server takes now: a step after the last one used, within the one step of skew allowed (waits when needed). */
export async function nextCode(staff: Staff): Promise<string> {
  // A code for the step before is refused once the server's clock reaches the next step: never
  // hand one out in a step's last five seconds, when the form could arrive after the turn.
  while (Date.now() % 30_000 > 25_000) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  let now = Math.floor(Date.now() / 30_000);
  while (staff.lastStep + 1 > now + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    now = Math.floor(Date.now() / 30_000);
  }
  staff.lastStep = Math.max(staff.lastStep + 1, now - 1);
  return totp(staff.secret, staff.lastStep);
}

async function typePassword(page: Page, email: string) {
  await page.goto('/admin/login');
  const form = page.getByRole('form', { name: 'Staff log in' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Log in' }).click();
}

/**
 * A new staff member's first login: password, then setting up the authenticator from the
 * secret the page shows (as a person would type it into their app), then the dashboard.
 */
export async function staffLogIn(page: Page, role: 'admin' | 'support'): Promise<Staff> {
  const email = addStaff(role);
  await typePassword(page, email);
  await expect(page).toHaveURL(/\/admin\/login\/enrol$/);
  await expect(page.getByRole('heading', { name: 'Set up your authenticator' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg')).toBeVisible();
  const secret = base32Decode(await page.locator('#totp-secret').innerText());
  const recoveryCodes = await page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allInnerTexts();
  expect(recoveryCodes).toHaveLength(10);
  const staff: Staff = { email, secret, recoveryCodes, lastStep: 0 };
  const form = page.getByRole('form', { name: 'Confirm your authenticator' });
  await form.getByLabel('The code your app shows now').fill(await nextCode(staff));
  await form.getByRole('button', { name: 'Finish setting up' }).click();
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByRole('heading', { name: 'Connected practices' })).toBeVisible();
  return staff;
}

/** An enrolled staff member logs in again: password, then a code from the authenticator. */
export async function staffLogInAgain(page: Page, staff: Staff) {
  await typePassword(page, staff.email);
  await expect(page).toHaveURL(/\/admin\/login\/code$/);
  const form = page.getByRole('form', { name: 'Authenticator code' });
  await form.getByLabel('Code from your authenticator app').fill(await nextCode(staff));
  await form.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/admin$/);
}
