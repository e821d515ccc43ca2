// The dashboard's replication panel through a full sync that takes visible time: a master holding a
// few hundred thousand keys serves the dashboard to a browser with an empty IndexedDB. While the
// snapshot loads, the progress bar is shown part-filled; once it is loaded the bar is hidden and the
// panel shows the link up, the last sync as full, and the master's offset as both the offset and the
// durable offset, and the lag ("Last heard").
//
// The bar is watched by a MutationObserver installed before the page's own scripts run, so that every
// state it passes through is recorded however short; the waits are on the replica's status and
// offsets. The master is served from apps/dashboard/dist, built as `npm start` builds it.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Master } from '@replicast/master'
import { demoMasterOptions, takeDemoFlags } from '../../packages/master/src/demo/index.ts'
import { expect, info, test } from './support/fixtures.ts'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

/** Keys in the master: enough that the browser takes a visible while to load the snapshot. */
const KEYS = 250_000
const KEYS_PER_MSET = 1000

/** One state of the progress bar as the observer saw it. */
interface ProgressSample {
  readonly visible: boolean
  /** The fill's CSS width, e.g. '42.5%'. */
  readonly width: string
  readonly text: string
}

interface SyncWindow {
  __progress: ProgressSample[]
}

/** Writes `count` string keys (`bulk:<i>`, 48-byte values) with MSET; returns the master's offset. */
function writeBulkDataset(master: Master, count: number): number {
  for (let start = 0; start < count; start += KEYS_PER_MSET) {
    const args = ['MSET']
    for (let i = start; i < Math.min(count, start + KEYS_PER_MSET); i++) args.push(`bulk:${i}`, `value ${i}`.padEnd(48, '.'))
    master.command(args)
  }
  return master.offset
}

const formatInt = (n: number): string => new Intl.NumberFormat('en-US').format(n)

test.beforeAll(async () => {
  test.setTimeout(120_000)
  // As `npm start` does: build the dashboard into apps/dashboard/dist if missing or stale.
  await run(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'apps/dashboard/scripts/ensure-build.ts')], { cwd: root })
})

test('the replication panel shows the snapshot loading with a progress bar, then the link up at the master\'s offset', async ({ masters, page }, testInfo) => {
  test.setTimeout(120_000)
  // No pings into the stream during the test: the master's offset stays where the dataset left it.
  const master = await masters.start({ ...demoMasterOptions(takeDemoFlags(['--demo']).flags), pingPeriodMs: 300_000, timeoutMs: 360_000 })
  const written = writeBulkDataset(master, KEYS)
  expect(Number(/^db0:keys=(\d+)/m.exec(master.info('keyspace'))?.[1])).toBe(KEYS)

  await page.addInitScript(() => {
    const samples: ProgressSample[] = []
    ;(window as unknown as SyncWindow).__progress = samples
    new MutationObserver(() => {
      const bar = document.querySelector<HTMLElement>('[data-testid="snapshot-progress"]')
      if (bar === null) return
      const sample = {
        visible: !bar.hidden && bar.checkVisibility(),
        width: bar.querySelector<HTMLElement>('.progress-fill')?.style.width ?? '',
        text: bar.querySelector('.progress-text')?.textContent ?? '',
      }
      const last = samples.at(-1)
      if (last?.visible !== sample.visible || last.width !== sample.width || last.text !== sample.text) samples.push(sample)
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true })
  })
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const startedAt = performance.now()
  await page.goto(`http://127.0.0.1:${master.wsPort}/`)

  // The sync ends: the replica's status says the link is up after a full sync.
  await page.waitForFunction(() => window.__replicast?.status.link === 'up' && window.__replicast.status.lastSync === 'full', undefined, { polling: 'raf', timeout: 90_000 })
  const syncMs = performance.now() - startedAt

  const samples = await page.evaluate(() => (window as unknown as SyncWindow).__progress)
  const shown = samples.filter((s) => s.visible)
  const partial = shown.filter((s) => parseFloat(s.width) > 0 && parseFloat(s.width) < 100)
  testInfo.annotations.push({ type: 'full sync', description: `${KEYS} keys in ${Math.round(syncMs)} ms; the bar took ${shown.length} visible states, ${partial.length} part-filled` })
  expect(partial.length, `the progress bar was never seen part-filled; states seen: ${JSON.stringify(samples.slice(0, 20))}`).toBeGreaterThan(0)
  for (const s of partial) expect(s.text).toMatch(/ of .* · \d+%$/)
  expect(samples.at(-1)?.visible).toBe(false)

  const panel = page.locator('#replication')
  await expect(panel.getByTestId('snapshot-progress')).toBeHidden()
  await expect(panel.getByTestId('link-state')).toHaveText('Streaming')
  await expect(page.locator('#link-pill')).toHaveText('live')
  await expect(panel.getByTestId('repl-sync')).toHaveText('full (snapshot)')
  await expect(panel.getByTestId('repl-syncs')).toHaveText('1 full · 0 partial')
  await expect(panel.getByTestId('repl-replid')).toHaveText(master.replid)
  // The master's first tick with a replica wrote a PING into the stream (14 bytes; Redis:
  // replicationCron); with no writes and the next ping 5 minutes away, its offset now stays put.
  const offset = master.offset
  expect(offset).toBeGreaterThanOrEqual(written)
  await expect(panel.getByTestId('repl-offset')).toHaveText(formatInt(offset))
  await page.evaluate((target) => window.__replicast!.replica.waitForOffset(target, { durable: true, timeoutMs: 60_000 }), offset)
  await expect(panel.getByTestId('repl-durable')).toHaveText(formatInt(offset))
  expect(master.offset).toBe(offset)
  await expect(panel.getByTestId('repl-lag')).toHaveText(/^(just now|\d+s ago)$/)
  await expect(page.getByTestId('dbsize')).toHaveText(formatInt(KEYS))
  expect(info(master, 'sync_full')).toBe(1)
  expect(await page.evaluate(() => window.__replicast!.errors)).toEqual([])
  expect(errors).toEqual([])
})
