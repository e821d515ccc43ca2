// The master restarts without persistence (a new replication ID, on the same ports): the replica
// cannot continue, full-syncs from the new master, and serves the old data until the switch.
//
// The new master holds 150,000 keys, so its snapshot comes in several chunks and the load takes
// several status events. The replica reaches the master through a LinkProxy (recorder.ts), which
// holds the snapshot halfway and then one chunk short of its end: the reads made at those moments are
// made while the load is really under way, however fast or slow this box is, and never race the switch.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

const NEW_KEYS = 150_000

test('a master restarted with a new replid: a full resync; old data stays readable until the switch', async ({ masters, links, open }) => {
  let master = await masters.start()
  writeDataset(master, 'old', 300)
  const link = await links.proxy(master)
  const app = await open()
  await app.start({ url: link.url, name: 'restart' })
  await app.waitForOffset(master.offset, { durable: true })
  const oldReplid = master.replid
  const oldDigest = master.digest()

  // In the page: a read when the new full sync starts (+FULLRESYNC, before any snapshot byte), and
  // reads at the first status event of the snapshot mid-load.
  await app.page.evaluate(() => window.e2e.readWhenLink('old:0:s', 'syncing'))
  await app.readWhenProgress(['old:0:s', 'new:0:s'])
  const halfway = link.holdSnapshot((total) => Math.floor(total / 2))
  master = await masters.restart(master)
  expect(master.replid).not.toBe(oldReplid)
  writeDataset(master, 'new', NEW_KEYS)
  await app.reconnectNow()

  // Halfway through the snapshot: the old data, all of it, and nothing of the new.
  const half = await halfway
  expect(half.forwarded).toBeGreaterThan(0)
  expect(half.forwarded).toBeLessThan(half.total)
  expect(await app.waitForSnapshot(half.forwarded)).toMatchObject({ link: 'syncing', state: 'loading-snapshot', replid: oldReplid, snapshot: { received: half.forwarded, total: half.total } })
  expect(await app.get('old:0:s')).toBe('value 0 ')
  expect(await app.get('new:0:s')).toBeNull()
  expect(await app.digest()).toBe(oldDigest)

  // One chunk short of the end: the last status before the switch, still the old data.
  const lastChunk = await link.holdSnapshot((total) => total - 1)
  expect(lastChunk.forwarded).toBeGreaterThan(half.forwarded)
  expect(await app.waitForSnapshot(lastChunk.forwarded)).toMatchObject({ link: 'syncing', replid: oldReplid, snapshot: { received: lastChunk.forwarded, total: lastChunk.total } })
  expect(await app.get('old:0:s')).toBe('value 0 ')
  expect(await app.get('new:0:s')).toBeNull()
  expect(await app.digest()).toBe(oldDigest)

  // The last chunk: the switch, and the reverse.
  link.release()
  await app.waitForReplid(master.replid)
  expect(await app.get('old:0:s')).toBeNull()
  expect(await app.get('new:0:s')).toBe('value 0 ')
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', replid: master.replid })
  expect(info(master, 'sync_full')).toBe(1)

  const { reads, progressReads, statuses } = await app.recorded()
  expect(reads).toEqual([{ key: 'old:0:s', value: 'value 0 ', link: 'syncing', offset: expect.any(Number) }])
  // The read armed for the first status mid-load: made with the old replid, and still before the
  // switch when it was answered.
  expect(progressReads).toEqual([{
    values: { 'old:0:s': 'value 0 ', 'new:0:s': null },
    at: { link: 'syncing', replid: oldReplid, received: expect.any(Number), total: half.total },
    after: { link: 'syncing', state: 'loading-snapshot', replid: oldReplid, received: expect.any(Number) },
  }])
  // The load took several status events, each with the old replid, before the one with the new.
  const loading = statuses.filter((s) => s.snapshot !== null && s.snapshot.received > 0)
  expect(loading.length).toBeGreaterThanOrEqual(2)
  expect(new Set(loading.map((s) => s.replid))).toEqual(new Set([oldReplid]))
})
