// What a page's life does to the link: a tab whose timers stopped (frozen, throttled in the
// background, a laptop lid closed) must not declare a live master dead just because its clock jumped,
// and coming back to the foreground or online reconnects at once instead of waiting out the backoff.
// Time is Playwright's fake clock: fastForward jumps it the way a closed lid does (every due timer
// fires once, late), so nothing here sleeps.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('a clock jump longer than timeoutMs (timers throttled or frozen) does not drop a live link', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'jump', 50)
  const app = await open(undefined, (page) => page.clock.install())
  await app.start({ url: master.url, name: 'jump' })
  await app.waitForOffset(master.offset, { durable: true })
  const partialBefore = info(master, 'sync_partial_ok')

  // Two minutes pass at once for the page's timers (timeoutMs is 60 s); the master was there all along.
  await app.page.clock.fastForward('02:00')
  master.command(['SET', 'after', 'jump'])
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.get('after')).toBe('jump')
  const { statuses, errors } = await app.recorded()
  expect(errors).toEqual([])
  expect(statuses.filter((s) => s.link === 'down' && s.replid !== null)).toEqual([])
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore)
})

test('without the stall-aware clock the same jump drops the link (the control)', async ({ masters, open }) => {
  const master = await masters.start()
  const app = await open(undefined, (page) => page.clock.install())
  // A stall threshold beyond the jump counts the whole jump as silence, as Date.now would.
  await app.start({ url: master.url, name: 'jump-control', stallMs: 10 * 60_000 })
  master.command(['SET', 'before', 'jump'])
  await app.waitForOffset(master.offset, { durable: true })
  const partialBefore = info(master, 'sync_partial_ok')

  await app.page.clock.fastForward('02:00')
  await app.page.waitForFunction(() => window.e2e.recorded.errors.some((e) => e.startsWith('ERR_REPLICATION_TIMEOUT')))
  master.command(['SET', 'after', 'jump'])
  await app.reconnectNow()
  await app.waitForOffset(master.offset, { durable: true })
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore + 1)
})

test('coming back to the foreground, or online, reconnects at once instead of waiting out the backoff', async ({ masters, open }) => {
  let master = await masters.start()
  const app = await open()
  // A backoff far longer than the test: only the page's signals can bring the link back.
  await app.start({ url: master.url, name: 'signals', backoff: { initialDelayMs: 600_000, maxDelayMs: 600_000 } })
  master.command(['SET', 'k', '1'])
  await app.waitForOffset(master.offset, { durable: true })

  master = await masters.restart(master)
  await app.waitForLink('down')
  master.command(['SET', 'k', '2'])
  // Headless Chromium never hides a page (bringToFront and CDP's lifecycle states leave it 'visible'),
  // so the event the browser fires on coming back to the foreground is dispatched by hand.
  await app.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')))
  // The restarted master has a new history: its offsets mean something once the replica follows it.
  await app.waitForReplid(master.replid)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.get('k')).toBe('2')

  master = await masters.restart(master)
  await app.waitForLink('down')
  master.command(['SET', 'k', '3'])
  // The browser's own 'offline' and 'online' events, as a network coming back fires them.
  await app.page.context().setOffline(true)
  await app.page.context().setOffline(false)
  await app.waitForReplid(master.replid)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.get('k')).toBe('3')
})
