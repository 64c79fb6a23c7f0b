import { test, expect } from './fixtures';
import { PASSWORD, createAccount, logIn, logOut, signUp, uniqueEmail } from './journey';
import { linkIn, mailTo } from './mail';

const NEW_PASSWORD = 'a-whole-new-passphrase';

test.describe('with a refused login on the way', () => {
  // The old password is refused (a 400 the browser notes in its console).
  test.use({ allowedConsoleErrors: [/status of 400/] });

  test('forgot password: the emailed link sets a new one, then it logs in @no-js', async ({ page }) => {
    const email = uniqueEmail();
    await page.goto('/signup');
    await signUp(page, email);
    await logOut(page);

    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).first().click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await expect(page.getByRole('status')).toContainText('If an account uses that email');

    const mail = await mailTo(email, 'Reset your practice-connect password');
    await page.goto(linkIn(mail, '/reset-password'));
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Save my new password' }).click();
    await expect(page.getByRole('status')).toContainText('Your password was changed');

    await logIn(page, email, PASSWORD);
    await expect(page.getByRole('alert')).toContainText('do not match an account');
    await logIn(page, email, NEW_PASSWORD);
    await expect(page.getByRole('heading', { name: 'Your practices' })).toBeVisible();

    // The link worked once.
    await page.goto(linkIn(mail, '/reset-password'));
    await expect(page.getByRole('alert')).toContainText('expired or was already used');
  });
});

test('the confirmation email confirms the address @no-js', async ({ page }) => {
  const email = uniqueEmail();
  await page.goto('/signup');
  await createAccount(page, email);
  const mail = await mailTo(email, 'Confirm your email');
  await page.goto(linkIn(mail, '/verify-email'));
  await page.getByRole('button', { name: 'Confirm my email' }).click();
  await expect(page.getByRole('status')).toContainText('Your email is confirmed');
  await logIn(page, email);
  await expect(page.getByRole('heading', { name: 'Your practices' })).toBeVisible();
  await page.goto('/account');
  await expect(page.getByText('Confirmed', { exact: true })).toBeVisible();
});

test('ending the other sessions logs the other browser out @no-js', async ({ page, browser }) => {
  const email = uniqueEmail();
  await page.goto('/signup');
  await signUp(page, email);

  const other = await browser.newContext({ javaScriptEnabled: test.info().project.name !== 'chromium-no-js' });
  const laptop = await other.newPage();
  await laptop.goto('/login');
  await logIn(laptop, email);
  await expect(laptop.getByRole('heading', { name: 'Your practices' })).toBeVisible();

  await page.goto('/account');
  const rows = page.getByRole('table').getByRole('row');
  await expect(rows).toHaveCount(3); // the header and two browsers
  await expect(page.getByRole('cell', { name: /this browser/ })).toHaveCount(1);
  await page.getByRole('button', { name: 'Log out all other browsers' }).click();
  await expect(page.getByRole('status')).toContainText('those sessions are logged out');
  await expect(rows).toHaveCount(2);

  await laptop.goto('/account');
  await expect(laptop.getByText('Log in to see your account')).toBeVisible();
  await other.close();
});
