// The dashboard in a real Chromium: served by a master with the demo feed, it catches up with the
// master, shows every panel, shows a key written by a client at once, shares its replica with a
// second tab (leader and follower), and, reloaded with no network (and then with no master at all),
// opens from its service worker with the data from IndexedDB.
//
// Run: npx playwright test test/e2e/dashboard.spec.ts (playwright.config.ts points at Debian's
// /usr/bin/chromium). Screenshots are attached to the HTML report (playwright-report/) and kept in
// screenshots/ at the repository's root (git-ignored; Playwright does not empty it between runs).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test, type Page, type TestInfo } from '@playwright/test'
import { createMaster, type Master } from '@replicast/master'
import { demoMasterOptions, startDemoFeed, takeDemoFlags, type DemoFeed } from '../../packages/master/src/demo/index.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** Where the screenshots stay after a run (test-results/ is emptied at the start of each run). */
const SCREENSHOTS = join(root, 'screenshots')

interface ReplicastWindow {
  __replicast?: {
    status: { link: string; offset: number; durableOffset: number; replid: string | null; lastSync: string | null }
    replica: { waitForOffset(offset: number, options?: { durable?: boolean; timeoutMs?: number }): Promise<void> }
    errors: string[]
  }
}

let dist: string
let master: Master
let feed: DemoFeed

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  // Build the dashboard as `npm start` does, into a folder of this run's own.
  dist = await mkdtemp(join(tmpdir(), 'replicast-dashboard-e2e-'))
  const { build } = await import('vite')
  await build({ configFile: join(root, 'apps/dashboard/vite.config.ts'), logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } })
  const { flags } = takeDemoFlags(['--demo', '--dashboard-dir', dist])
  master = await createMaster({ port: 0, wsPort: 0, ...demoMasterOptions(flags) })
  feed = startDemoFeed(master, { writesPerSecond: 50, seed: 3 })
})

test.afterAll(async () => {
  feed?.stop()
  await master?.close()
  if (dist !== undefined) await rm(dist, { recursive: true, force: true })
})

/** Keeps a full-page screenshot as screenshots/<name>.png and attaches it to the report. */
async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const body = await page.screenshot({ fullPage: true })
  await mkdir(SCREENSHOTS, { recursive: true })
  await writeFile(join(SCREENSHOTS, `${name}.png`), body)
  await testInfo.attach(name, { body, contentType: 'image/png' })
}

/** Waits until the page's replica has applied (and, with `durable`, stored) the master's stream up to now. */
async function catchUp(page: Page, durable = false): Promise<number> {
  const target = master.offset
  await page.waitForFunction(() => (window as unknown as ReplicastWindow).__replicast !== undefined)
  await page.evaluate(
    ({ target, durable }) => (window as unknown as ReplicastWindow).__replicast!.replica.waitForOffset(target, { durable, timeoutMs: 30_000 }),
    { target, durable },
  )
  return target
}

async function expectPanelsWithData(page: Page): Promise<void> {
  for (const id of ['requests', 'errors', 'signups', 'revenue', 'sessions']) {
    await expect(page.getByTestId(`kpi-${id}`).locator('.kpi-value')).not.toHaveText('—')
  }
  await expect(page.getByTestId('hosts').locator('.host')).toHaveCount(8)
  await expect(page.getByTestId('hosts').locator('.host').first()).toContainText('CPU')
  await expect(page.getByTestId('leaderboard').locator('li')).toHaveCount(10)
  await expect(page.getByTestId('events').locator('li').first()).toBeVisible()
  await expect(page.getByTestId('rps-now')).toHaveText(/^\d[\d,]*$/)
  // The chart has been drawn: some of its pixels are not transparent.
  const painted = await page.getByTestId('rps-chart').evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++
    return n
  })
  expect(painted).toBeGreaterThan(1000)
}

test('the dashboard follows the master live, then opens offline from the service worker and IndexedDB', async ({ page, context }, testInfo) => {
  test.setTimeout(120_000)
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))

  const url = `http://127.0.0.1:${master.wsPort}/`
  await page.goto(url)
  await catchUp(page)
  await expect(page.getByTestId('link-state')).toHaveText('Streaming')
  await expect(page.getByTestId('repl-replid')).toHaveText(master.replid)
  await expect(page.getByTestId('repl-sync')).toContainText('full')
  await expectPanelsWithData(page)

  // A write from a client shows up at once in "Your keys".
  master.command(['SET', 'greeting', 'hello from the e2e test'])
  await expect(page.getByTestId('user-keys')).toContainText('greeting')
  await expect(page.getByTestId('user-keys')).toContainText('hello from the e2e test')

  // One more point on the chart (the feed adds one a second), for a picture with motion in it.
  const chart = page.getByTestId('rps-chart')
  const drawnAt = Number(await chart.getAttribute('data-last-point-ms'))
  expect(drawnAt).toBeGreaterThan(0)
  await chart.evaluate((canvas, before) => new Promise<void>((resolve) => {
    const check = (): void => {
      if (Number(canvas.dataset['lastPointMs']) <= before) return
      observer.disconnect()
      resolve()
    }
    const observer = new MutationObserver(check)
    observer.observe(canvas, { attributes: true, attributeFilter: ['data-last-point-ms'] })
    check()
  }), drawnAt)
  await screenshot(page, testInfo, 'dashboard-live')

  // A second tab of the dashboard follows the first, which keeps the one WebSocket.
  await expect(page.locator('.role-badge')).toHaveText('leader tab')
  const second = await context.newPage()
  await second.goto(url)
  await expect(second.locator('.role-badge')).toHaveText('follower tab')
  await expectPanelsWithData(second)
  await expect(second.getByTestId('user-keys')).toContainText('hello from the e2e test')
  await second.close()

  // The app shell is cached once the service worker is active; the data once it is durable.
  await page.evaluate(async () => { await navigator.serviceWorker.ready })
  feed.stop()
  const stored = await catchUp(page, true)
  const status = await page.evaluate(() => (window as unknown as ReplicastWindow).__replicast!.status)
  expect(status.durableOffset).toBeGreaterThanOrEqual(stored)

  // No network: the page comes from the service worker, the data from IndexedDB.
  await context.setOffline(true)
  const offline = await page.reload()
  expect(offline?.fromServiceWorker()).toBe(true)
  await expect(page.locator('#link-pill')).toContainText('offline')
  await expectPanelsWithData(page)
  await expect(page.getByTestId('user-keys')).toContainText('hello from the e2e test')
  await expect(page.getByTestId('repl-replid')).toHaveText(master.replid)
  const after = await page.evaluate(() => (window as unknown as ReplicastWindow).__replicast!.status)
  expect(after.offset).toBeGreaterThanOrEqual(stored)
  await screenshot(page, testInfo, 'dashboard-offline')

  // Not even a master: the same.
  await master.close()
  await context.setOffline(false)
  const noMaster = await page.reload()
  expect(noMaster?.fromServiceWorker()).toBe(true)
  await expectPanelsWithData(page)
  await expect(page.getByTestId('user-keys')).toContainText('greeting')

  expect(errors).toEqual([])
  expect(await page.evaluate(() => (window as unknown as ReplicastWindow).__replicast!.errors)).toEqual([])
})
