// A tab dies in the middle of a full sync (its renderer crashes, replica worker and all, or it is
// closed abruptly) and is opened again offline. A full sync writes the new generation beside the old
// one and switches in one transaction at the end (DESIGN §5), so what IndexedDB kept must be the OLD
// copy, exactly: master A's dataset at the offset stored with it, under A's replid. Then, back online,
// the full sync from the new master B is done again and completes.
//
// The replica reaches the masters through a LinkProxy (recorder.ts) that holds B's snapshot one chunk
// short of its end: the switch cannot have happened when the tab dies, and the spec waits (on the
// replica's status and on IndexedDB itself) until pages of the new generation are stored, so the crash
// really leaves a half-written generation behind.
import { expect, test, writeDataset } from './support/fixtures.ts'

const NAME = 'sync-crash'
const NEW_KEYS = 150_000

for (const how of ['renderer crash', 'page.close()'] as const) {
  test(`a tab that dies mid full sync (${how}) reopens offline with the old copy, exactly`, async ({ masters, links, open, context }) => {
        let master = await masters.start()
    writeDataset(master, 'old', 300)
    const link = await links.proxy(master)
    let app = await open()
    // Small full-sync batches: the new generation goes to IndexedDB while the snapshot loads.
    await app.start({ url: link.url, name: NAME, idb: { fullSyncBatchBytes: 256 * 1024 } })
    await app.waitForOffset(master.offset, { durable: true })
    const a = { replid: master.replid, offset: master.offset, digest: master.digest() }

    const held = link.holdSnapshot((total) => total - 1)
    master = await masters.restart(master)
    writeDataset(master, 'new', NEW_KEYS)
    await app.reconnectNow()
    const hold = await held
    expect(await app.waitForSnapshot(hold.forwarded)).toMatchObject({ state: 'loading-snapshot', replid: a.replid, durableOffset: a.offset })
    // Pages of the new generation are in IndexedDB, beside the old one that the meta still names.
    await expect.poll(async () => {
      const stored = await app.page.evaluate((name) => window.e2e.storedGenerations(name), NAME)
      return { meta: stored.meta, newPages: (stored.pages[(stored.meta?.generation ?? 0) + 1] ?? 0) > 0 }
    }).toEqual({ meta: { generation: expect.any(Number), replid: a.replid, offset: a.offset }, newPages: true })

    if (how === 'renderer crash') {
      const cdp = await context.newCDPSession(app.page)
      const crashed = app.page.waitForEvent('crash')
      // Page.crash is never answered: the renderer dies first, and the call is rejected once its
      // target is gone (the page closed below).
      const crashCall = cdp.send('Page.crash').then(() => 'answered', (error: Error) => error.message)
      await crashed
      await app.page.close()
      expect(await crashCall).toMatch(/crashed|closed/i)
    } else {
      await app.page.close({ runBeforeUnload: false })
    }

    // Reopen with the network gone (the page's document is fetched first; its scripts are cached).
    app = await open()
    await context.setOffline(true)
    await app.start({ url: link.url, name: NAME, autoConnect: false })
    expect(await app.digest()).toBe(a.digest)
    expect(await app.status()).toMatchObject({ role: 'leader', link: 'down', replid: a.replid, offset: a.offset, durableOffset: a.offset, loaded: true })
    expect(await app.get('old:0:s')).toBe('value 0 ')
    expect(await app.get('new:0:s')).toBeNull()
    // The half-written generation is removed in the background once the store is open.
    await expect.poll(async () => {
      const stored = await app.page.evaluate((name) => window.e2e.storedGenerations(name), NAME)
      const generations = new Set([...Object.keys(stored.pages), ...Object.keys(stored.log)].map(Number))
      return { meta: stored.meta, generations: [...generations] }
    }).toEqual({ meta: { generation: expect.any(Number), replid: a.replid, offset: a.offset }, generations: [expect.any(Number)] })

    // Back online, the full sync from B runs again, to the end.
    await context.setOffline(false)
    link.release()
    await app.connect()
    await app.waitForReplid(master.replid)
    await app.waitForOffset(master.offset, { durable: true })
    expect(await app.digest()).toBe(master.digest())
    expect(await app.status()).toMatchObject({ link: 'up', lastSync: 'full', replid: master.replid })
  })
}
