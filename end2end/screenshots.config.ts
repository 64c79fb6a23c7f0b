import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * `make screenshots`: drives the real app (the same test server as the suite) through its main
 * screens and saves them into docs/screenshots/ for the README. Not part of `make test`.
 */
export default defineConfig({
  ...base,
  testDir: './screenshots',
  reporter: [['list']],
  projects: [{ name: 'chromium', use: { ...base.projects?.[0]?.use, viewport: { width: 1280, height: 860 } } }],
});
