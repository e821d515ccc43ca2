// First visit: an empty browser full-syncs from the master into IndexedDB (through its storage
// worker), and the page's data is exactly the master's.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('a first visit full-syncs, and the digest equals the master\'s', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'first', 600)
  const app = await open()
  expect(await app.start({ url: master.url, name: 'first-visit' })).toBe('leader')
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  const status = await app.status()
  expect(status).toMatchObject({ role: 'leader', link: 'up', lastSync: 'full', loaded: true, replid: master.replid })
  expect(info(master, 'sync_full')).toBe(1)

  // The stream after the snapshot keeps it equal, binary values and transactions included.
  const offset = writeDataset(master, 'more', 120)
  await app.waitForOffset(offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.get('first:0:s')).toBe('value 0 ')
  expect(await app.page.evaluate(() => window.e2e.call(['HGET', 'more:1:h', 'b']))).toBe('b1')
  expect((await app.recorded()).errors).toEqual([])
})
