// Heavy write rates do not mean one IndexedDB transaction per command: the replica coalesces the
// stream into commits (persistBatchCommands, persistBatchDelayMs), each one log entry written in one
// transaction with its offset. Counted here in Chromium's own IndexedDB, by reading the store.
import { expect, test } from './support/fixtures.ts'

const WRITES = 20_000

test(`${WRITES.toLocaleString('en-US')} SETs in a burst are persisted in far fewer IndexedDB commits than commands`, async ({ masters, open }) => {
  const master = await masters.start()
  const app = await open()
  await app.start({ url: master.url, name: 'batching' })
  await app.waitForOffset(master.offset, { durable: true })
  const logEntries = async (): Promise<number> => {
    const stored = await app.page.evaluate(() => window.e2e.storedGenerations('batching'))
    return stored.meta === null ? 0 : (stored.log[stored.meta.generation] ?? 0)
  }
  const before = await logEntries()

  for (let i = 0; i < WRITES; i++) master.command(['SET', `burst:${i % 5000}`, `value ${i}`])
  await app.waitForOffset(master.offset, { durable: true })

  // The log is below its compaction threshold (compactLogBytes, 4 MiB), so every commit is still an
  // entry of its own (or several, grouped, in one).
  const commits = (await logEntries()) - before
  expect(commits).toBeGreaterThan(0)
  expect(commits).toBeLessThanOrEqual(WRITES / 50)
  expect(await app.digest()).toBe(master.digest())
  expect(await app.get('burst:4999')).toBe(`value ${WRITES - 1}`)
})
