// The browser replica in Chromium (Debian's, headless), against a real master on 127.0.0.1:
//
//   npx tsx bench/browser.ts [sizes…]        default sizes: 100000 1000000
//
// For each size: a full sync of that many keys into IndexedDB (time until applied, and until durable),
// with the main thread's longest gap while loading; for the largest size, the time from navigation
// to the first key readable from the stored copy (and to the whole copy loaded) with the gap probe;
// then the sustained rate of writes applied and persisted, into a fresh store and as overwrites spread
// over the largest store (which makes the IndexedDB store compact its log and merge its pages).
//
// Each figure is printed beside its yardstick measured in the same run, in the same Chromium
// (DESIGN §9): raw IndexedDB `put`s of the same records in transactions of 10,000 with durability
// 'relaxed' (full sync), and raw coalesced writes, ≤ 1,000 updates per transaction with the offset in
// the same transaction (sustained writes). Targets: full sync ≥ 1/1.2 of raw speed, persisted writes
// ≥ 0.8× raw coalesced, first key readable within 0.5 s of navigation, no main-thread gap over 50 ms;
// and issue 3's absolute ones, 1,000,000 keys durable in under 30 s and 50,000 persisted writes/s.
//
// Records are string keys `key:<7 digits>` with 100-byte values (test/e2e/page/bench.ts writes the
// same ones for the yardsticks). The page is test/e2e/page, built by Vite as the e2e specs build it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from '@playwright/test'
import { createMaster, type Master } from '@replicast/master'
import { printResults, type ResultRow } from './_results.ts'
import { buildTestPage } from '../test/e2e/support/build-page.ts'
import { serveStatic, type StaticSite } from '../test/e2e/support/static-server.ts'

const SIZES = process.argv.slice(2).map(Number).filter((n) => n > 0)
if (SIZES.length === 0) SIZES.push(100_000, 1_000_000)
const VALUE_BYTES = 100
const SUSTAINED_WRITES = 100_000
const CHROMIUM = process.env.REPLICAST_CHROMIUM ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
const LONG_MS = 30 * 60_000

const key = (i: number) => `key:${String(i).padStart(7, '0')}`
const value = (i: number) => `${i}:`.padEnd(VALUE_BYTES, 'x')
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const rate = (count: number, ms: number) => `${Math.round((count * 1000) / ms).toLocaleString('en-US')}/s`
const pad = (s: string, n = 46) => s.padEnd(n)
const gaps = (p: { maxGapMs: number; maxFrameGapMs: number; longTaskMaxMs: number }) =>
  `${p.maxGapMs.toFixed(0)} / ${p.maxFrameGapMs.toFixed(0)} / ${p.longTaskMaxMs.toFixed(0)} ms`

const lines: ResultRow[] = []

/** Fills a master with `count` string keys, yielding now and then. */
async function fill(master: Master, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    master.command(['SET', key(i), value(i)])
    if (i % 50_000 === 49_999) await new Promise((resolve) => setImmediate(resolve))
  }
}

async function newPage(browser: Browser, site: StaticSite, query = ''): Promise<Page> {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${site.url}${query}`)
  await page.waitForFunction(() => window.e2e !== undefined)
  return page
}

interface SyncFigures {
  readonly startMs: number
  readonly appliedMs: number
  readonly durableMs: number
  readonly maxGapMs: number
  readonly maxFrameGapMs: number
  readonly longTaskMaxMs: number
}

/** In the page: starts the replica and times it to applied and to durable at `offset`. */
function timedSync(page: Page, url: string, name: string, offset: number): Promise<SyncFigures> {
  return page.evaluate(async ([u, n, o, t]) => {
    const e2e = window.e2e
    e2e.startProbe()
    const t0 = performance.now()
    await e2e.start({ url: u, name: n })
    const started = performance.now()
    await e2e.waitForOffset(o, false, t)
    const applied = performance.now()
    await e2e.waitForOffset(o, true, t)
    const durable = performance.now()
    const probe = e2e.stopProbe()
    return { startMs: started - t0, appliedMs: applied - t0, durableMs: durable - t0, maxGapMs: probe.maxGapMs, maxFrameGapMs: probe.maxFrameGapMs, longTaskMaxMs: probe.longTaskMaxMs }
  }, [url, name, offset, LONG_MS] as const)
}

async function benchFullSync(browser: Browser, site: StaticSite, size: number, firstKey: boolean): Promise<void> {
  const master = await createMaster({ port: 0, wsPort: 0, host: '127.0.0.1' })
  try {
    await fill(master, size)
    const name = `bench-${size}`

    const rawPage = await newPage(browser, site)
    const rawMs = await rawPage.evaluate(([n]) => window.e2e.rawPuts(n, 10_000, 100), [size] as const)
    await rawPage.context().close()

    const page = await newPage(browser, site)
    const sync = await timedSync(page, master.url, name, master.offset)
    const digestOk = (await page.evaluate(() => window.e2e.digest())) === master.digest()
    console.log(`full sync of ${size.toLocaleString('en-US')} keys (${VALUE_BYTES}-byte values)${digestOk ? '' : '  DIGEST MISMATCH'}`)
    console.log(`  ${pad('raw IndexedDB puts, 10,000/tx, relaxed')}${seconds(rawMs)}  (${rate(size, rawMs)})`)
    console.log(`  ${pad('replica: applied (in memory, readable)')}${seconds(sync.appliedMs)}`)
    console.log(`  ${pad('replica: durable (IndexedDB committed)')}${seconds(sync.durableMs)}  (${rate(size, sync.durableMs)})`)
    console.log(`  ${pad('speed vs raw (target ≥ 0.83)')}${(rawMs / sync.durableMs).toFixed(2)}`)
    console.log(`  ${pad('main thread: longest gap (timer/frame/task)')}${gaps(sync)}  (target ≤ 50 ms)`)
    const n = size.toLocaleString('en-US')
    lines.push({ name: `full sync, ${n} keys, to durable`, ours: seconds(sync.durableMs), theirs: `raw puts ${seconds(rawMs)}`, ratio: `${(rawMs / sync.durableMs).toFixed(2)} of raw speed`, target: '≥ 0.83 (1/1.2)', met: rawMs / sync.durableMs >= 1 / 1.2 })
    // The absolute target (1,000,000 keys durable in under 30 s), beside the relative one:
    // the raw-puts yardstick says how much of a miss is this machine's IndexedDB.
    if (size === 1_000_000) lines.push({ name: `full sync, ${n} keys, to durable (absolute)`, ours: seconds(sync.durableMs), theirs: `raw puts ${seconds(rawMs)}`, ratio: '—', target: '< 30 s', met: sync.durableMs < 30_000 })
    lines.push({ name: `main-thread gap during the ${n}-key full sync`, ours: `${Math.max(sync.maxGapMs, sync.maxFrameGapMs).toFixed(0)} ms (longest task ${sync.longTaskMaxMs.toFixed(0)} ms)`, theirs: '—', ratio: '—', target: '≤ 50 ms', met: Math.max(sync.maxGapMs, sync.maxFrameGapMs) <= 50 })
    await page.evaluate(() => window.e2e.close())

    if (firstKey) {
      // Navigation to a page that reads one stored key at once (no network), then loads everything.
      const probeKey = key(Math.floor(size / 2))
      const reload = await page.context().newPage()
      await page.close()
      await reload.goto(`${site.url}?firstKey=${encodeURIComponent(probeKey)}&name=${encodeURIComponent(name)}&url=${encodeURIComponent(master.url)}`)
      await reload.waitForFunction(() => window.e2e?.firstKeyResult()?.probe != null, undefined, { timeout: LONG_MS })
      const result = (await reload.evaluate(() => window.e2e.firstKeyResult()))!
      const ok = result.value === value(Math.floor(size / 2))
      console.log(`reopening the ${size.toLocaleString('en-US')}-key store (navigation, no network)${ok ? '' : '  WRONG VALUE'}`)
      console.log(`  ${pad('first key readable after navigation')}${seconds(result.readableMs)}  (target ≤ 0.50 s)`)
      console.log(`  ${pad('whole store loaded into memory')}${seconds(result.loadedMs ?? NaN)}`)
      console.log(`  ${pad('main thread: longest gap (timer/frame/task)')}${gaps(result.probe!)}  (target ≤ 50 ms)`)
      lines.push({ name: `first key readable after navigation, ${size.toLocaleString('en-US')}-key store`, ours: seconds(result.readableMs), theirs: '—', ratio: '—', target: '≤ 0.50 s', met: ok && result.readableMs <= 500 })
      const gap = Math.max(result.probe!.maxGapMs, result.probe!.maxFrameGapMs)
      lines.push({ name: `main-thread gap while the ${size.toLocaleString('en-US')}-key store loads`, ours: `${gap.toFixed(0)} ms (longest task ${result.probe!.longTaskMaxMs.toFixed(0)} ms)`, theirs: '—', ratio: '—', target: '≤ 50 ms', met: gap <= 50 })
      await reload.context().close()
    } else {
      await page.context().close()
    }
  } finally {
    await master.close()
  }
}

/**
 * Writes as fast as the master takes them, timed until durable in the page. With `storeKeys` > 0 the
 * store first full-syncs that many keys and the writes overwrite them, spread over the whole store
 * (every compaction then touches every bucket, and merges rewrite the store's pages).
 */
async function benchSustained(browser: Browser, site: StaticSite, writes: number, storeKeys: number): Promise<void> {
  const rawPage = await newPage(browser, site)
  // The yardstick is a rate; 100,000 writes measure it as well as more would.
  const rawWrites = Math.min(writes, SUSTAINED_WRITES)
  const rawMs = (await rawPage.evaluate(([n]) => window.e2e.rawCoalesced(n, n, 1000, 100), [rawWrites] as const)) * (writes / rawWrites)
  await rawPage.context().close()

  const master = await createMaster({ port: 0, wsPort: 0, host: '127.0.0.1', backlogBytes: 64 * 1024 * 1024 })
  try {
    const page = await newPage(browser, site)
    master.command(['SET', 'warm', 'up'])
    await fill(master, storeKeys)
    await timedSync(page, master.url, `bench-sustained-${storeKeys}`, master.offset)
    await page.evaluate(() => window.e2e.startProbe())
    const started = performance.now()
    for (let i = 0; i < writes; i++) {
      // 7,919 is prime: consecutive writes land far apart, and every key of the store is reached.
      const k = storeKeys > 0 ? (i * 7919) % storeKeys : i
      master.command(['SET', key(k), value(i)])
      if (i % 2000 === 1999) await new Promise((resolve) => setImmediate(resolve))
    }
    const written = performance.now()
    await page.evaluate(([o, t]) => window.e2e.waitForOffset(o, true, t), [master.offset, LONG_MS] as const)
    const durableMs = performance.now() - started
    const probe = await page.evaluate(() => window.e2e.stopProbe())
    const digestOk = (await page.evaluate(() => window.e2e.digest())) === master.digest()
    const n = writes.toLocaleString('en-US')
    const into = storeKeys > 0 ? `, overwriting a ${storeKeys.toLocaleString('en-US')}-key store` : ''
    console.log(`sustained writes: ${n} SETs of ${VALUE_BYTES}-byte values${into}, as fast as the master takes them${digestOk ? '' : '  DIGEST MISMATCH'}`)
    console.log(`  ${pad('raw IndexedDB, ≤ 1,000 puts + offset per tx')}${rate(writes, rawMs)}  (${seconds(rawMs)})`)
    console.log(`  ${pad('replica: applied and persisted')}${rate(writes, durableMs)}  (${seconds(durableMs)}; the master wrote them in ${seconds(written - started)})`)
    console.log(`  ${pad('persisted vs raw coalesced (target ≥ 0.80)')}${(rawMs / durableMs).toFixed(2)}`)
    console.log(`  ${pad('main thread: longest gap (timer/frame/task)')}${gaps(probe)}`)
    lines.push({ name: `persisted writes, ${n} SETs${into}`, ours: rate(writes, durableMs), theirs: `raw coalesced ${rate(writes, rawMs)}`, ratio: `${(rawMs / durableMs).toFixed(2)}×`, target: '≥ 0.80×', met: digestOk && rawMs / durableMs >= 0.8 })
    lines.push({ name: `persisted writes, ${n} SETs${into} (absolute)`, ours: rate(writes, durableMs), theirs: `raw coalesced ${rate(writes, rawMs)}`, ratio: '—', target: '≥ 50,000/s', met: digestOk && (writes * 1000) / durableMs >= 50_000 })
    await page.context().close()
  } finally {
    await master.close()
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'replicast-bench-page-'))
  let browser: Browser | null = null
  let site: StaticSite | null = null
  try {
    await buildTestPage(dir)
    site = await serveStatic(dir)
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
    console.log(`browser replica bench: ${browser.version()}, sizes ${SIZES.map((n) => n.toLocaleString('en-US')).join(', ')}`)
    const largest = Math.max(...SIZES)
    for (const size of SIZES) await benchFullSync(browser, site, size, size === largest)
    await benchSustained(browser, site, SUSTAINED_WRITES, 0)
    // As many overwrites as the store has keys: at 1,000,000, enough compactions for pages to be merged.
    await benchSustained(browser, site, largest, largest)
    console.log('')
    printResults(lines, { name: 'measure', ours: 'ours', theirs: 'yardstick' })
  } finally {
    await browser?.close()
    await site?.close()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
