// Offline and back: reads keep working from the local copy; the `offline` event drops the link, the
// `online` event reconnects at once, and a partial resync from the backlog catches up.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('offline, reads still work; back online, a partial resync catches up', async ({ masters, open, context }) => {
  const master = await masters.start()
  writeDataset(master, 'on', 300)
  const app = await open()
  await app.start({ url: master.url, name: 'offline' })
  await app.waitForOffset(master.offset, { durable: true })
  const seen = master.offset
  const fullBefore = info(master, 'sync_full')
  const partialBefore = info(master, 'sync_partial_ok')

  await context.setOffline(true)
  await app.waitForLink('down')
  writeDataset(master, 'while-offline', 120)
  master.command(['DEL', 'on:0:s'])
  expect(await app.get('on:0:s')).toBe('value 0 ')
  expect(await app.page.evaluate(() => window.e2e.call(['LRANGE', 'on:2:l', 0, -1]))).toEqual(['x', '2', 'z'])
  expect((await app.status()).offset).toBe(seen)

  await context.setOffline(false)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.get('on:0:s')).toBeNull()
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'partial' })
  expect(info(master, 'sync_full')).toBe(fullBefore)
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore + 1)
})

test('offline longer than the backlog covers: a full resync', async ({ masters, open, context }) => {
  const master = await masters.start({ backlogBytes: 16 * 1024 })
  writeDataset(master, 'on', 100)
  const app = await open()
  await app.start({ url: master.url, name: 'offline-long' })
  await app.waitForOffset(master.offset, { durable: true })
  const fullBefore = info(master, 'sync_full')

  await context.setOffline(true)
  await app.waitForLink('down')
  // Far more than the 16 KiB backlog holds.
  for (let i = 0; i < 400; i++) master.command(['SET', `flood:${i}`, 'y'.repeat(100)])
  expect(await app.get('on:0:s')).toBe('value 0 ')

  await context.setOffline(false)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full' })
  expect(info(master, 'sync_full')).toBe(fullBefore + 1)
})
