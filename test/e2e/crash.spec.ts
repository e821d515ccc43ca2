// A tab dies in the middle of heavy writes (closed abruptly, or its renderer crashes, storage worker
// and all), and is opened again offline. What IndexedDB kept must be EXACTLY the master's dataset at
// the stored offset (DESIGN §5): a recorder attached to the master before any write keeps the
// snapshot and every stream byte, and rebuilds that dataset with core's Dataset to compare digests.
import type { Master } from '@replicast/master'
import { expect, test, writeDataset } from './support/fixtures.ts'
import { StreamRecorder } from './support/recorder.ts'

/** Writes a mix of commands (transactions, deletes, counters, collections) until stopped, yielding often. */
function startWriting(master: Master): { stop(): Promise<void>; readonly commands: number } {
  let running = true
  let commands = 0
  let i = 0
  const step = (): void => {
    for (let n = 0; n < 150 && running; n++, i++) {
      const k = i % 500
      switch (i % 8) {
        case 0: master.command(['SET', `w:s:${k}`, `v${i}`.padEnd(40 + (i % 60), '.')]); break
        case 1: master.command(['HSET', `w:h:${k % 50}`, `f${i % 13}`, String(i)]); break
        case 2: master.command(['INCR', 'w:counter']); break
        case 3: master.command(['RPUSH', `w:l:${k % 20}`, String(i)]); master.command(['LTRIM', `w:l:${k % 20}`, '-30', '-1']); commands++; break
        case 4:
          master.command(['MULTI'])
          master.command(['ZADD', 'w:board', String(i), `p${k % 100}`])
          master.command(['SADD', `w:set:${k % 10}`, String(i)])
          master.command(['INCRBY', 'w:tx', '2'])
          master.command(['EXEC'])
          commands += 4
          break
        case 5: master.command(['DEL', `w:s:${(k + 250) % 500}`]); break
        case 6: master.command(['SET', `w:bin:${k % 30}`, new Uint8Array([i & 0xff, 0, 255, 13, 10])]); break
        case 7: master.command(['PEXPIRE', `w:s:${k}`, '86400000']); break
      }
      commands++
    }
    if (running) setImmediate(step)
  }
  setImmediate(step)
  return {
    get commands() { return commands },
    async stop() { running = false },
  }
}

for (const how of ['page.close()', 'renderer crash'] as const) {
  test(`a tab that dies mid-stream (${how}) reopens offline with exactly the master's state at its stored offset`, async ({ masters, open, context }) => {
    const master = await masters.start()
    const recorder = await StreamRecorder.attach(master.url)
    try {
      writeDataset(master, 'base', 200)
      let app = await open()
      await app.start({ url: master.url, name: 'crash' })
      await app.waitForOffset(master.offset, { durable: true })

      const writer = startWriting(master)
      const crashFrom = master.offset + 200_000
      await app.waitForOffset(crashFrom, { durable: true, timeoutMs: 45_000 })
      if (how === 'page.close()') {
        await app.page.close({ runBeforeUnload: false })
      } else {
        const cdp = await context.newCDPSession(app.page)
        const crashed = app.page.waitForEvent('crash')
        void cdp.send('Page.crash').catch(() => {})
        await crashed
        await app.page.close().catch(() => {})
      }
      await writer.stop()
      const finalOffset = master.offset

      // Reopen with the network gone. The page's document is fetched first (it is not cached; its
      // hashed scripts, the storage worker's included, are, as an app's would be).
      app = await open()
      await context.setOffline(true)
      await app.start({ url: master.url, name: 'crash', autoConnect: false })
      const digest = await app.digest()
      const status = await app.status()
      expect(status).toMatchObject({ role: 'leader', link: 'down', replid: master.replid, loaded: true })
      const stored = status.offset
      expect(stored).toBeGreaterThanOrEqual(crashFrom)
      // The tab died mid-stream: the master had written past what the tab stored.
      expect(stored).toBeLessThan(finalOffset)

      await recorder.waitForOffset(finalOffset)
      expect(digest).toBe(recorder.datasetAt(stored).digest())
      expect(recorder.datasetAt(finalOffset).digest()).toBe(master.digest())

      // And from there, back online, it catches up.
      await context.setOffline(false)
      await app.connect()
      await app.waitForOffset(finalOffset, { durable: true })
      expect(await app.digest()).toBe(master.digest())
    } finally {
      recorder.close()
    }
  })
}
