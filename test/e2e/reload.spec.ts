// Reload: the stored copy answers reads at once, before any network, and the replica then continues
// from its durable point with a partial resync (+CONTINUE), not a full one.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('after a reload, reads are served from IndexedDB before the link is up, then PSYNC continues', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'before', 300)
  let app = await open()
  await app.start({ url: master.url, name: 'reload' })
  master.command(['SET', 'greeting', 'hello'])
  await app.waitForOffset(master.offset, { durable: true })
  const fullBefore = info(master, 'sync_full')
  const partialBefore = info(master, 'sync_partial_ok')

  await app.page.reload()
  await app.page.waitForFunction(() => window.e2e !== undefined)
  // The link stays down (autoConnect false): whatever the page reads now comes from IndexedDB.
  await app.start({ url: master.url, name: 'reload', autoConnect: false })
  expect(await app.get('greeting')).toBe('hello')
  expect(await app.get('before:0:s')).toBe('value 0 ')
  expect(await app.status()).toMatchObject({ link: 'down', role: 'leader' })

  // Meanwhile the master moved on; connecting resumes from the stored offset.
  writeDataset(master, 'while-away', 60)
  master.command(['SET', 'greeting', 'welcome back'])
  await app.connect()
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.get('greeting')).toBe('welcome back')
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'partial' })
  expect(info(master, 'sync_full')).toBe(fullBefore)
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore + 1)
})
