// The e2e test page: the browser replica, bundled by Vite as an app would bundle it, behind a small
// API on `window.e2e` that the Playwright specs (and bench/browser.ts) drive with page.evaluate.
// It records what a spec may ask about afterwards (status transitions, reads made at given moments),
// so that specs wait on offsets and events, never on time.
import { createBrowserReplica, type BrowserReplica, type BrowserReplicaOptions, type BrowserReplicaStatus } from '@replicast/replica/browser'
import { benchApi } from './bench.ts'
import { contractApi } from './contract.ts'
import { openDatabaseAt } from '../../../packages/replica/src/storage/idb-test-util.ts'

type StartOptions = Omit<BrowserReplicaOptions, 'clock'>

type StatusError = BrowserReplicaStatus['lastError']

interface Recorded {
  /** Every status event, reduced to what specs look at. */
  readonly statuses: {
    link: string; state: string; role: string; offset: number; durableOffset: number; lastSync: string | null; loaded: boolean; replid: string | null
    snapshot: { received: number; total: number | null } | null; lastError: StatusError; stopped: BrowserReplicaStatus['stopped']
  }[]
  /** Reads armed with readWhenLink(), with the status they were made in. */
  readonly reads: { key: string; value: string | null; link: string; offset: number }[]
  /**
   * Reads armed with readWhenProgress(): the values of `keys`, read in the status event of a snapshot
   * mid-load (`at`), and the status once the last of them had resolved (`after`). The worker sends
   * every status due before a reply, so `after` is at least as new as what the reads saw: if it still
   * shows the old replid loading the snapshot, the reads were served before the switch.
   */
  readonly progressReads: {
    values: Record<string, string | null>
    at: { link: string; replid: string | null; received: number; total: number | null }
    after: { link: string; state: string; replid: string | null; received: number | null }
  }[]
  readonly errors: string[]
  readonly roles: string[]
  /** Changes seen by watch() subscriptions: 'key <key>', 'flush <db>', 'resync'. */
  readonly changes: string[]
}

let replica: BrowserReplica | null = null
const recorded: Recorded = { statuses: [], reads: [], progressReads: [], errors: [], roles: [], changes: [] }
const armed: { when: (s: BrowserReplicaStatus) => boolean; read: (s: BrowserReplicaStatus) => void }[] = []

function need(): BrowserReplica {
  if (replica === null) throw new Error('window.e2e.start() first')
  return replica
}

function onStatus(status: BrowserReplicaStatus): void {
  recorded.statuses.push({
    link: status.link, state: status.state, role: status.role, offset: status.offset, durableOffset: status.durableOffset,
    lastSync: status.lastSync, loaded: status.loaded, replid: status.replid,
    snapshot: status.snapshot, lastError: status.lastError, stopped: status.stopped,
  })
  for (const probe of [...armed]) {
    if (!probe.when(status)) continue
    armed.splice(armed.indexOf(probe), 1)
    // Started synchronously inside the status event: the read sees the data as it is at that moment.
    probe.read(status)
  }
}

/** The replica's IndexedDB database, read raw (schema: packages/replica/src/storage/idb-read.ts). */
function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    // No version: the database as it is, never an upgrade (nothing for the replica's connection to hear).
    const request = indexedDB.open(name)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

const api = {
  recorded,

  /** Creates the page's replica; resolves with this tab's role once reads are served. */
  async start(options: StartOptions): Promise<string> {
    if (replica !== null) throw new Error('already started')
    const r = await createBrowserReplica(options)
    replica = r
    r.on('status', onStatus)
    r.on('error', (error) => recorded.errors.push(`${(error as { code?: string }).code ?? error.name}: ${error.message}`))
    r.on('role', (role) => recorded.roles.push(role))
    recorded.roles.push(r.role)
    onStatus(r.status)
    return r.role
  },

  /** Arms a read of `key`, made at the first status event with link `link` (e.g. 'syncing'). */
  readWhenLink(key: string, link: string): void {
    armed.push({
      when: (s) => s.link === link,
      read: (s) => void need().get(key).then((value) => recorded.reads.push({ key, value, link: s.link, offset: s.offset })),
    })
  },

  /**
   * Arms reads of `keys`, made at the first status event of a snapshot mid-load (0 < received < total),
   * recorded in recorded.progressReads with that status and the one current once they resolved.
   */
  readWhenProgress(keys: string[]): void {
    armed.push({
      when: (s) => s.snapshot !== null && s.snapshot.total !== null && s.snapshot.received > 0 && s.snapshot.received < s.snapshot.total,
      read: (s) => {
        const at = { link: s.link, replid: s.replid, received: s.snapshot!.received, total: s.snapshot!.total }
        void Promise.all(keys.map((key) => need().get(key))).then((values) => {
          const now = need().status
          recorded.progressReads.push({
            values: Object.fromEntries(keys.map((key, i) => [key, values[i]!])),
            at,
            after: { link: now.link, state: now.state, replid: now.replid, received: now.snapshot?.received ?? null },
          })
        })
      },
    })
  },

  /** Records the changes to keys matching the glob `pattern` (see recorded.changes). */
  watch(pattern: string): void {
    need().subscribe(pattern, (change) => recorded.changes.push(change.kind === 'key' ? `key ${change.key}` : change.kind === 'flush' ? `flush ${change.db}` : 'resync'), { glob: true })
  },

  status: (): BrowserReplicaStatus => need().status,
  role: (): string => need().role,
  get: (key: string, db = 0): Promise<string | null> => need().get(key, db),
  call: (args: (string | number)[], db = 0): Promise<unknown> => need().call(args, db),
  keys: (pattern = '*'): Promise<string[]> => need().keys(pattern),
  digest: (): Promise<string> => need().digest(),
  waitForOffset: (offset: number, durable = false, timeoutMs = 60_000): Promise<void> => need().waitForOffset(offset, { durable, timeoutMs }),
  connect: (): void => need().connect(),
  disconnect: (): void => need().disconnect(),
  reconnectNow: (): void => need().reconnectNow(),
  async close(): Promise<void> {
    await replica?.close()
    replica = null
  },
  /**
   * Closes the replica and starts it again with `options` (e.g. another master's url): with the same
   * `name` it reopens the same IndexedDB store and resumes from its durable point. Resolves with the role.
   */
  async restart(options: StartOptions): Promise<string> {
    await api.close()
    return api.start(options)
  },

  /**
   * What the replica's database `name` holds, read raw: the generation its meta names (with the
   * stored replid and offset) and the pages and log entries of every generation present.
   */
  async storedGenerations(name: string): Promise<{ meta: { generation: number; replid: string; offset: number } | null; pages: Record<number, number>; log: Record<number, number> }> {
    const db = await openRaw(name)
    try {
      const tx = db.transaction(['meta', 'pages', 'log'], 'readonly')
      const meta = (await requestResult(tx.objectStore('meta').get('current'))) as { generation: number; replid: string; offset: number } | undefined
      const count = async (store: string) => {
        const out: Record<number, number> = {}
        for (const key of (await requestResult(tx.objectStore(store).getAllKeys())) as number[][]) out[key[0]!] = (out[key[0]!] ?? 0) + 1
        return out
      }
      return { meta: meta === undefined ? null : { generation: meta.generation, replid: meta.replid, offset: meta.offset }, pages: await count('pages'), log: await count('log') }
    } finally {
      db.close()
    }
  },

  /**
   * Opens the database `name` at `version` from this page's main thread, as another tab running a
   * newer version of the app would: the replica's connection gets a versionchange. With
   * `abortUpgrade` the upgrade is given up in onupgradeneeded (the database stays as it was).
   * Resolves with what happened; rejects if a connection that stayed open blocked it.
   */
  openDatabaseAt: (name: string, version: number, abortUpgrade: boolean): Promise<'opened' | 'aborted'> => openDatabaseAt(indexedDB, name, version, abortUpgrade),

  ...contractApi,
  ...benchApi,
}

export type E2eApi = typeof api

declare global {
  interface Window {
    e2e: E2eApi
  }
}

window.e2e = api
