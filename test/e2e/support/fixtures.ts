// Playwright fixtures for the browser specs:
//   site     (per worker) the Vite-built test page, served from 127.0.0.1 at a run-time port
//   masters  (per test)   real masters (createMaster on 127.0.0.1, ports picked at run time), closed after
//   open     (per test)   opens the test page in a page and returns typed access to its window.e2e
//   links    (per test)   LinkProxy instances in front of masters (recorder.ts), closed after
// Everything a fixture starts is stopped when its test (or worker) ends.
import { test as base, expect, type BrowserContext, type CDPSession, type Page } from '@playwright/test'
import { createMaster, type Master, type MasterOptions } from '@replicast/master'
import type { BrowserReplicaStatus } from '@replicast/replica/browser'
import type { E2eApi } from '../page/main.ts'
import { LinkProxy } from './recorder.ts'
import { serveStatic, type StaticSite } from './static-server.ts'

export { expect }

/** The e2e masters' ping period: an hour, longer than any test. */
const QUIET_PING_PERIOD_MS = 3_600_000

export type StartOptions = Parameters<E2eApi['start']>[0]

/** Typed access to one page's window.e2e. */
export class App {
  #cdp: Promise<CDPSession> | undefined

  constructor(readonly page: Page) {}

  start(options: StartOptions): Promise<string> {
    return this.page.evaluate((o) => window.e2e.start(o), options)
  }

  status(): Promise<BrowserReplicaStatus> {
    return this.page.evaluate(() => window.e2e.status())
  }

  get(key: string): Promise<string | null> {
    return this.page.evaluate((k) => window.e2e.get(k), key)
  }

  digest(): Promise<string> {
    return this.page.evaluate(() => window.e2e.digest())
  }

  /** Waits (in the page, on the replica's own offset events) until its reads see `offset`. */
  waitForOffset(offset: number, options: { durable?: boolean; timeoutMs?: number } = {}): Promise<void> {
    return this.page.evaluate(([o, d, t]) => window.e2e.waitForOffset(o, d, t), [offset, options.durable ?? false, options.timeoutMs ?? 30_000] as const)
  }

  /** Waits until the replica's link is `link` ('down', 'connecting', 'syncing', 'up'). */
  async waitForLink(link: BrowserReplicaStatus['link']): Promise<BrowserReplicaStatus> {
    await this.page.waitForFunction((l) => window.e2e.status().link === l, link, { polling: 'raf' })
    return this.status()
  }

  /**
   * Waits until the replica follows the history `replid` (a restarted master's, say): offsets belong
   * to a history, so a wait on a new master's offset comes after this.
   */
  async waitForReplid(replid: string): Promise<void> {
    await this.page.waitForFunction((r) => window.e2e.status().replid === r, replid, { polling: 'raf' })
  }

  /** Waits until this tab has the role `role`. */
  async waitForRole(role: 'leader' | 'follower'): Promise<void> {
    await this.page.waitForFunction((r) => window.e2e.role() === r, role, { polling: 'raf' })
  }

  connect(): Promise<void> {
    return this.page.evaluate(() => window.e2e.connect())
  }

  reconnectNow(): Promise<void> {
    return this.page.evaluate(() => window.e2e.reconnectNow())
  }

  /** Arms reads of `keys`, made in the page at the first status of a snapshot mid-load (see main.ts). */
  readWhenProgress(keys: readonly string[]): Promise<void> {
    return this.page.evaluate((k) => window.e2e.readWhenProgress(k), [...keys])
  }

  /** Waits until the replica has taken in at least `received` bytes of the snapshot it is loading. */
  async waitForSnapshot(received: number): Promise<BrowserReplicaStatus> {
    await this.page.waitForFunction((n) => (window.e2e.status().snapshot?.received ?? -1) >= n, received, { polling: 'raf' })
    return this.status()
  }

  /** Waits until `status.lastError` has `code` as its code or its causeCode; returns the status. */
  async waitForLastError(code: string): Promise<BrowserReplicaStatus> {
    await this.page.waitForFunction((c) => {
      const e = window.e2e.status().lastError
      return e !== null && (e.code === c || e.causeCode === c)
    }, code, { polling: 'raf' })
    return this.status()
  }

  /**
   * Sets this page's origin's storage quota to `quotaBytes` (Chromium, through CDP
   * `Storage.overrideQuotaForOrigin`), or back to the browser's own with undefined. IndexedDB refuses
   * a transaction that would take the origin's usage past it with a QuotaExceededError. Two things
   * Chromium does (checked on Chromium 156): it compresses what IndexedDB stores, so what counts is the
   * compressed size; and once the origin has used IndexedDB it checks writes against the room it
   * last learned of, for a while, so a quota LOWERED after that is not enforced at once. Lower it
   * before the page first uses IndexedDB; raising or removing it takes effect at once.
   */
  async overrideQuota(quotaBytes: number | undefined): Promise<void> {
    // The override lasts as long as the CDP session that made it: the page's, kept open.
    this.#cdp ??= this.page.context().newCDPSession(this.page)
    const cdp = await this.#cdp
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(this.page.url()).origin, ...(quotaBytes === undefined ? {} : { quotaSize: quotaBytes }) })
  }

  recorded(): Promise<E2eApi['recorded']> {
    return this.page.evaluate(() => window.e2e.recorded)
  }

  close(): Promise<void> {
    return this.page.evaluate(() => window.e2e.close())
  }

  /** Closes the page's replica and starts it again with `options` (same name: same IndexedDB). */
  restart(options: StartOptions): Promise<string> {
    return this.page.evaluate((o) => window.e2e.restart(o), options)
  }
}

export interface Masters {
  /** Starts a master on 127.0.0.1 (ports 0 unless given). */
  start(options?: Partial<MasterOptions>): Promise<Master>
  /** Stops `master` and starts a new one, without persistence, on the same ports (a new replid). */
  restart(master: Master, options?: Partial<MasterOptions>): Promise<Master>
}

export interface Links {
  /** Starts a LinkProxy in front of `master`'s replication endpoint (and of any master later on its port). */
  proxy(master: Master): Promise<LinkProxy>
}

export const test = base.extend<{ masters: Masters; links: Links; open: (context?: BrowserContext, before?: (page: Page) => Promise<void>) => Promise<App> }, { site: StaticSite; sharedApp: App }>({
  site: [
    async ({}, use) => {
      const dir = process.env.REPLICAST_E2E_PAGE_DIR
      if (dir === undefined) throw new Error('REPLICAST_E2E_PAGE_DIR is not set: run the specs through playwright.config.ts (its global setup builds the page).')
      const site = await serveStatic(dir)
      await use(site)
      await site.close()
    },
    { scope: 'worker' },
  ],

  // One page for many short tests that each clean up after themselves (the storage contract cases).
  sharedApp: [
    async ({ browser, site }, use) => {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(site.url)
      await page.waitForFunction(() => window.e2e !== undefined)
      await use(new App(page))
      await context.close()
    },
    { scope: 'worker' },
  ],

  masters: async ({}, use) => {
    const started = new Set<Master>()
    const start = async (options: Partial<MasterOptions> = {}) => {
      // No pings unless a spec asks: a spec compares offsets at moments of its choosing, and a ping
      // between two of them moves the offset by 14 bytes (every test ends well within a replica's
      // 60 s timeout, so a quiet master is never taken for a dead one).
      const master = await createMaster({ port: 0, wsPort: 0, host: '127.0.0.1', pingPeriodMs: QUIET_PING_PERIOD_MS, timeoutMs: 2 * QUIET_PING_PERIOD_MS, ...options })
      started.add(master)
      return master
    }
    await use({
      start,
      async restart(master, options = {}) {
        await master.close()
        started.delete(master)
        return start({ ...options, port: master.port, wsPort: master.wsPort })
      },
    })
    await Promise.all([...started].map((m) => m.close()))
  },

  links: async ({}, use) => {
    const started: LinkProxy[] = []
    await use({
      async proxy(master) {
        const proxy = await LinkProxy.start(master.url)
        started.push(proxy)
        return proxy
      },
    })
    await Promise.all(started.map((p) => p.close()))
  },

  open: async ({ context, site }, use) => {
    await use(async (inContext = context, before?: (page: Page) => Promise<void>) => {
      const page = await inContext.newPage()
      await before?.(page)
      await page.goto(site.url)
      await page.waitForFunction(() => window.e2e !== undefined)
      return new App(page)
    })
  },
})

/** A field of the master's INFO as a number (`sync_full`, `sync_partial_ok`, `connected_slaves`, ...). */
export function info(master: Master, field: string): number {
  const match = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(master.info())
  if (match === null) throw new Error(`INFO has no field ${field}`)
  return Number(match[1]!.trim())
}

/**
 * Writes a varied dataset: strings (some binary, some with expiries far ahead), hashes, lists, sets,
 * sorted sets and a MULTI/EXEC, keys prefixed with `tag`. Returns the master's offset afterwards.
 */
export function writeDataset(master: Master, tag: string, count: number): number {
  for (let i = 0; i < count; i++) {
    const k = `${tag}:${i}`
    switch (i % 6) {
      case 0: master.command(['SET', `${k}:s`, `value ${i} ${'x'.repeat(i % 50)}`]); break
      case 1: master.command(['HSET', `${k}:h`, 'a', String(i), 'b', `b${i}`]); break
      case 2: master.command(['RPUSH', `${k}:l`, 'x', String(i), 'z']); break
      case 3: master.command(['SADD', `${k}:set`, 'm1', `m${i}`]); break
      case 4: master.command(['ZADD', `${k}:z`, String(i), 'one', String(i / 3), 'two']); break
      case 5: master.command(['SET', `${k}:bin`, new Uint8Array([0, 255, i & 0xff, 13, 10])]); master.command(['PEXPIRE', `${k}:bin`, '86400000']); break
    }
  }
  master.command(['MULTI'])
  master.command(['INCR', `${tag}:counter`])
  master.command(['HSET', `${tag}:tx`, 'n', String(count)])
  master.command(['EXEC'])
  return master.offset
}
