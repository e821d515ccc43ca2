// Reload: the stored copy answers reads at once, before any network, and the replica then continues
// from its durable point with a partial resync (+CONTINUE), not a full one.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('after a reload, reads are served from IndexedDB before the link is up, then PSYNC continues', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'before', 300)
  const app = await open()
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

test('after a reload that connects at once, the first reads still come from IndexedDB', async ({ masters, open }) => {
  const master = await masters.start()
  const app = await open()
  await app.start({ url: master.url, name: 'reload-auto' })
  master.command(['SET', 'greeting', 'hello'])
  await app.waitForOffset(master.offset, { durable: true })
  const partialBefore = info(master, 'sync_partial_ok')

  await app.page.reload()
  await app.page.waitForFunction(() => window.e2e !== undefined)
  // Written while the page is away: a read that returns the old value cannot have come from the link.
  master.command(['SET', 'greeting', 'welcome back'])
  // Armed before start: the read fires inside the first status event whose link is 'connecting',
  // with the replica connecting on its own (autoConnect is the default).
  await app.page.evaluate(() => window.e2e.readWhenLink('greeting', 'connecting'))
  await app.start({ url: master.url, name: 'reload-auto' })
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.get('greeting')).toBe('welcome back')
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore + 1)

  const { reads } = await app.recorded()
  expect(reads).toEqual([{ key: 'greeting', value: 'hello', link: 'connecting', offset: expect.any(Number) }])
})
