// Two tabs of one origin share one replica: one leads (one WebSocket, the only writer of IndexedDB),
// the other follows through BroadcastChannel with the same reads. When the leader's tab closes, the
// follower takes over and continues with PSYNC from the durable offset.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('two tabs: one replica on the master; closing the leader hands over with a partial resync', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'two', 300)
  const first = await open()
  expect(await first.start({ url: master.url, name: 'tabs' })).toBe('leader')
  await first.waitForOffset(master.offset, { durable: true })

  const second = await open()
  expect(await second.start({ url: master.url, name: 'tabs' })).toBe('follower')
  await second.waitForOffset(master.offset)
  expect(await second.digest()).toBe(master.digest())
  expect(info(master, 'connected_slaves')).toBe(1)

  // The follower sees every commit of the leader, with the leader's link status.
  await second.page.evaluate(() => window.e2e.watch('live:*'))
  const written = writeDataset(master, 'live', 120)
  await second.waitForOffset(written)
  expect(await second.digest()).toBe(master.digest())
  expect(await second.get('live:0:s')).toBe('value 0 ')
  expect(await second.status()).toMatchObject({ role: 'follower', link: 'up', replid: master.replid })
  // (At least what was written: the master's pings may have moved the offset on since.)
  expect((await second.status()).offset).toBeGreaterThanOrEqual(written)
  expect((await second.recorded()).changes).toContain('key live:0:s')
  expect(info(master, 'connected_slaves')).toBe(1)
  const partialBefore = info(master, 'sync_partial_ok')
  const fullBefore = info(master, 'sync_full')

  // The leader's tab goes; the follower takes the lock and continues from the durable offset.
  await first.page.close()
  await second.waitForRole('leader')
  master.command(['SET', 'after', 'handover'])
  await second.waitForOffset(master.offset, { durable: true })
  expect(await second.get('after')).toBe('handover')
  expect(await second.digest()).toBe(master.digest())
  expect(await second.status()).toMatchObject({ role: 'leader', link: 'up', lastSync: 'partial' })
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore + 1)
  expect(info(master, 'sync_full')).toBe(fullBefore)
  await expect.poll(() => info(master, 'connected_slaves')).toBe(1)
})

test('a follower follows its leader through a full resync from a restarted master', async ({ masters, open }) => {
  let master = await masters.start()
  writeDataset(master, 'old', 100)
  const leader = await open()
  await leader.start({ url: master.url, name: 'tabs-resync' })
  await leader.waitForOffset(master.offset, { durable: true })
  const follower = await open()
  await follower.start({ url: master.url, name: 'tabs-resync' })
  await follower.waitForOffset(master.offset)

  master = await masters.restart(master)
  writeDataset(master, 'new', 500)
  await leader.reconnectNow()
  await follower.waitForReplid(master.replid)
  await follower.waitForOffset(master.offset)
  expect(await follower.digest()).toBe(master.digest())
  expect(await follower.get('old:0:s')).toBeNull()
  expect(info(master, 'connected_slaves')).toBe(1)
})
