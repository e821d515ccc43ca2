// The master restarts without persistence (a new replication ID, on the same ports): the replica
// cannot continue, full-syncs from the new master, and serves the old data until the switch.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('a master restarted with a new replid: a full resync; old data stays readable until the switch', async ({ masters, open }) => {
  let master = await masters.start()
  writeDataset(master, 'old', 300)
  const app = await open()
  await app.start({ url: master.url, name: 'restart' })
  await app.waitForOffset(master.offset, { durable: true })
  const oldReplid = master.replid

  // At the moment the new full sync starts loading, read a key only the old master had.
  await app.page.evaluate(() => window.e2e.readWhenLink('old:0:s', 'syncing'))
  master = await masters.restart(master)
  expect(master.replid).not.toBe(oldReplid)
  writeDataset(master, 'new', 3000)
  await app.reconnectNow()

  await app.waitForReplid(master.replid)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.get('old:0:s')).toBeNull()
  expect(await app.get('new:0:s')).toBe('value 0 ')
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', replid: master.replid })
  expect(info(master, 'sync_full')).toBe(1)

  const { reads } = await app.recorded()
  expect(reads).toEqual([{ key: 'old:0:s', value: 'value 0 ', link: 'syncing', offset: expect.any(Number) }])
})
