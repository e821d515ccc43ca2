// Browser end-to-end tests (test/e2e/*.spec.ts): the replica in real Chromium against a real master.
// Browsers are not downloaded here: Debian's chromium (`apt-get install chromium`; .ci/run does it)
// runs headless through executablePath. One worker: the specs start masters and share a 2-core box.
import { defineConfig } from '@playwright/test'

const CHROMIUM = process.env.REPLICAST_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  globalSetup: './test/e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Per test; a spec's own waits are on offsets and events, with their own limits inside.
  timeout: 60_000,
  expect: { timeout: 20_000 },
  globalTimeout: 10 * 60_000,
  // The HTML report (playwright-report/, never opened by itself) keeps the attachments, such as the
  // dashboard's screenshots; `npx playwright show-report` opens it.
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
})
