import { defineConfig } from '@playwright/test';

// The browser comes from Debian (apt-get install chromium): Playwright's own download cannot
// work on machines that reach only the package registries.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const port = Number(process.env.E2E_PORT ?? 3005);
const baseURL = `http://127.0.0.1:${port}`;
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? 3205);
const launchOptions = {
  executablePath: chromium,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: { browserName: 'chromium', launchOptions },
    },
    {
      // Forms must work before (or without) the WebAssembly: the same specs tagged @no-js run
      // with JavaScript turned off.
      name: 'chromium-no-js',
      grep: /@no-js/,
      use: { browserName: 'chromium', launchOptions, javaScriptEnabled: false },
    },
  ],
  webServer: [
    {
      // A real SMTP server (Debian's python3-aiosmtpd) catching the app's email into a Maildir
      // the tests read (tests/mail.ts).
      command: `rm -rf ../target/e2e-mail && exec /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox ../target/e2e-mail`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // The built server on a fresh SQLite file, with the built-in Hint sandbox.
      command: 'bash ./serve-for-tests.sh',
      url: `${baseURL}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      // The server's log is kept in target/e2e/server.log (serve-for-tests.sh); the console stays readable.
      stdout: 'ignore',
      stderr: 'pipe',
      env: { E2E_PORT: String(port), E2E_SMTP_PORT: String(smtpPort) },
    },
  ],
});
