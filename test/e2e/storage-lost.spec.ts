// The leader's IndexedDB connection is lost under it: another connection (here the page's own main
// thread, as another tab running a newer version of the app would) opens the database at a higher
// version, or deletes it. The replica's store stops for good (a versionchange); that must show in the
// status events (lastError, with its code), and the replica must recover by itself: a new connection,
// and a resume from what is durable (PSYNC, +CONTINUE), or a full sync when the database was deleted.
// When the database can no longer be opened (a newer schema took it over), status.stopped says so.
import { expect, info, test, writeDataset } from './support/fixtures.ts'

test('an upgrade by another connection that is given up: reported in status, and the replica resumes from its durable point', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'before', 300)
  const app = await open()
  await app.start({ url: master.url, name: 'lost-upgrade' })
  await app.waitForOffset(master.offset, { durable: true })
  const fullBefore = info(master, 'sync_full')
  const partialBefore = info(master, 'sync_partial_ok')

  expect(await app.page.evaluate(() => window.e2e.openDatabaseAt('lost-upgrade', 3, true))).toBe('aborted')
  const lost = await app.waitForLastError('ERR_STORAGE')
  expect(lost.lastError!.message).toContain('is being deleted or upgraded by another connection (an open at version 3')
  expect(lost.stopped).toBeNull()

  // The master moves on; the replica, on a new connection, continues from its stored point.
  writeDataset(master, 'after', 120)
  await app.waitForOffset(master.offset, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'partial', stopped: null, lastError: { code: 'ERR_STORAGE' } })
  expect(info(master, 'sync_full')).toBe(fullBefore)
  expect(info(master, 'sync_partial_ok')).toBe(partialBefore + 1)

  const { statuses } = await app.recorded()
  expect(statuses.some((s) => s.lastError?.code === 'ERR_STORAGE' && s.lastError.message.includes('upgraded by another connection'))).toBe(true)
})

test('the database deleted by another connection: reported in status, and the replica full-syncs into a new one', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'before', 300)
  const app = await open()
  await app.start({ url: master.url, name: 'lost-delete' })
  await app.waitForOffset(master.offset, { durable: true })
  const fullBefore = info(master, 'sync_full')

  await app.page.evaluate(() => new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase('lost-delete')
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  }))
  const lost = await app.waitForLastError('ERR_STORAGE')
  expect(lost.lastError!.message).toContain('(a deleteDatabase)')

  const written = writeDataset(master, 'after', 60)
  await app.waitForOffset(written, { durable: true })
  expect(await app.digest()).toBe(master.digest())
  expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', stopped: null })
  expect(info(master, 'sync_full')).toBe(fullBefore + 1)
  const stored = await app.page.evaluate(() => window.e2e.storedGenerations('lost-delete'))
  // At least what was written; the master's pings (pingPeriodMs) may have moved it on since.
  expect(stored.meta?.replid).toBe(master.replid)
  expect(stored.meta!.offset).toBeGreaterThanOrEqual(written)
  expect(stored.meta!.offset).toBeLessThanOrEqual(master.offset)
})

test('an upgrade to a newer schema: the replica stops, says why, and keeps serving reads', async ({ masters, open }) => {
  const master = await masters.start()
  writeDataset(master, 'before', 300)
  const app = await open()
  await app.start({ url: master.url, name: 'lost-newer' })
  await app.waitForOffset(master.offset, { durable: true })
  const digest = master.digest()

  expect(await app.page.evaluate(() => window.e2e.openDatabaseAt('lost-newer', 3, false))).toBe('opened')
  await app.page.waitForFunction(() => window.e2e.status().stopped !== null, undefined, { polling: 'raf' })
  const status = await app.status()
  expect(status.stopped).toEqual({ code: 'ERR_STORAGE', message: expect.stringMatching(/^The replica stopped: .*newer schema version than this code's \(2\)/) })
  expect(status).toMatchObject({ link: 'down', lastError: { code: 'ERR_STORAGE', message: status.stopped!.message } })
  expect(await app.get('before:0:s')).toBe('value 0 ')
  expect(await app.digest()).toBe(digest)

  // Asked to connect, it stays down: nothing it would fetch could be stored. (A read is a round trip
  // to the worker, which posts any change of link before its reply.)
  await app.connect()
  await app.reconnectNow()
  expect(await app.get('before:0:s')).toBe('value 0 ')
  expect((await app.status()).link).toBe('down')
})
