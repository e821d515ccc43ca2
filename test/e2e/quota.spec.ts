// The storage quota in real Chromium: the origin's quota is lowered through CDP
// (Storage.overrideQuotaForOrigin), so IndexedDB refuses a transaction with a real QuotaExceededError.
// The failure must show in the status events (lastError, with the quota code), reads must go on from
// what is stored, and once there is room again the replica must catch up by itself: nothing of the
// master's stream is lost, nothing is silently dropped.
//
// Chromium compresses what IndexedDB stores, so the values written here are random bytes: a quota
// that a few megabytes of them overflow would hold megabytes of repeated text. And it checks writes
// against the room it last learned of for a while, so the quota is lowered before the page first
// uses IndexedDB (App.overrideQuota); lifting it takes effect at once.
import { randomBytes } from 'node:crypto'
import type { Master } from '@replicast/master'
import { expect, test, writeDataset, type App } from './support/fixtures.ts'
import { StreamRecorder } from './support/recorder.ts'

/** The origin's quota while writes must fail: room for a few hundred small keys, not for megabytes. */
const QUOTA_BYTES = 1024 * 1024
/** Reconnect soon after the persist failures that pause the link (docs/operations.md §2.2). */
const BACKOFF = { initialDelayMs: 50, maxDelayMs: 500 }

/** `count` strings of `bytes` random bytes each: several times ROOM_BYTES, whatever the compression. */
function writeIncompressible(master: Master, tag: string, count: number, bytes: number): void {
  for (let i = 0; i < count; i++) master.command(['SET', `${tag}:${i}`, randomBytes(bytes)])
}

/** Waits (on the page's status) until the replica is down with what it applied all stored: it reads its durable copy. */
function waitAtDurablePoint(app: App): Promise<void> {
  return app.page.waitForFunction(() => {
    const s = window.e2e.status()
    return s.link === 'down' && s.loaded && s.unpersistedBytes === 0 && s.offset === s.durableOffset
  }, undefined, { polling: 'raf' }).then(() => undefined)
}

test('writes over the quota: lastError says so, reads go on from the stored copy, and with room again it catches up', async ({ masters, open }) => {
  const master = await masters.start({ backlogBytes: 64 * 1024 * 1024 })
  writeDataset(master, 'base', 300)
  const recorder = await StreamRecorder.attach(master.url)
  try {
    const app = await open()
    await app.overrideQuota(QUOTA_BYTES)
    await app.start({ url: master.url, name: 'quota-writes', backoff: BACKOFF })
    await app.waitForOffset(master.offset, { durable: true })
    const before = master.offset

    writeIncompressible(master, 'big', 1500, 2048)
    const failed = await app.waitForLastError('ERR_STORAGE_QUOTA')
    expect(failed.lastError).toMatchObject({ code: 'ERR_PERSIST_FAILED', causeCode: 'ERR_STORAGE_QUOTA' })

    // Stop the link and let the failed commits settle: the replica is back at its durable point and
    // reads what IndexedDB holds, exactly the master's data at that offset.
    await app.page.evaluate(() => window.e2e.disconnect())
    await waitAtDurablePoint(app)
    const stopped = await app.status()
    expect(stopped.durableOffset).toBeGreaterThanOrEqual(before)
    expect(stopped.durableOffset).toBeLessThan(master.offset)
    await recorder.waitForOffset(master.offset)
    expect(await app.digest()).toBe(recorder.datasetAt(stopped.durableOffset).digest())
    expect(await app.get('base:0:s')).toBe('value 0 ')
    // The status events carried it (not only the status read now).
    const { statuses } = await app.recorded()
    expect(statuses.some((s) => s.lastError?.causeCode === 'ERR_STORAGE_QUOTA')).toBe(true)

    // Room again: the replica resumes from what is durable and catches up.
    await app.overrideQuota(undefined)
    await app.connect()
    await app.waitForOffset(master.offset, { durable: true })
    expect(await app.digest()).toBe(master.digest())
    expect(await app.status()).toMatchObject({ link: 'up', replid: master.replid })
  } finally {
    recorder.close()
  }
})

test('a full sync over the quota: lastError says so, the old copy stays stored and readable, and with room again the full sync completes', async ({ masters, open }) => {
    let master = await masters.start()
  writeDataset(master, 'old', 300)
  const app = await open()
  await app.overrideQuota(QUOTA_BYTES)
  await app.start({ url: master.url, name: 'quota-sync', backoff: BACKOFF })
  await app.waitForOffset(master.offset, { durable: true })
  const a = { replid: master.replid, offset: master.offset, digest: master.digest() }

  master = await masters.restart(master)
  writeIncompressible(master, 'new', 2000, 1024)
  await app.reconnectNow()
  const failed = await app.waitForLastError('ERR_STORAGE_QUOTA')
  expect(failed.lastError).toMatchObject({ causeCode: 'ERR_STORAGE_QUOTA' })

  await app.page.evaluate(() => window.e2e.disconnect())
  await waitAtDurablePoint(app)
  expect(await app.status()).toMatchObject({ replid: a.replid, offset: a.offset, durableOffset: a.offset })
  expect(await app.digest()).toBe(a.digest)
  expect(await app.get('old:0:s')).toBe('value 0 ')
  expect(await app.get('new:0')).toBeNull()

  await app.overrideQuota(undefined)
  await app.connect()
  await app.waitForReplid(master.replid)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', replid: master.replid })
})
