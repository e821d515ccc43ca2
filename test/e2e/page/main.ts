// The e2e test page: the browser replica, bundled by Vite as an app would bundle it, behind a small
// API on `window.e2e` that the Playwright specs (and bench/browser.ts) drive with page.evaluate.
// It records what a spec may ask about afterwards (status transitions, reads made at given moments),
// so that specs wait on offsets and events, never on time.
import { createBrowserReplica, type BrowserReplica, type BrowserReplicaOptions, type BrowserReplicaStatus } from '@replicast/replica/browser'
import { benchApi } from './bench.ts'
import { contractApi } from './contract.ts'

type StartOptions = Omit<BrowserReplicaOptions, 'clock'>

interface Recorded {
  /** Every status event, reduced to what specs look at. */
  readonly statuses: { link: string; state: string; role: string; offset: number; durableOffset: number; lastSync: string | null; loaded: boolean; replid: string | null }[]
  /** Reads armed with readWhen(), with the status they were made in. */
  readonly reads: { key: string; value: string | null; link: string; offset: number }[]
  readonly errors: string[]
  readonly roles: string[]
  /** Changes seen by watch() subscriptions: 'key <key>', 'flush <db>', 'resync'. */
  readonly changes: string[]
}

let replica: BrowserReplica | null = null
const recorded: Recorded = { statuses: [], reads: [], errors: [], roles: [], changes: [] }
const armed: { key: string; when: (s: BrowserReplicaStatus) => boolean }[] = []

function need(): BrowserReplica {
  if (replica === null) throw new Error('window.e2e.start() first')
  return replica
}

function onStatus(status: BrowserReplicaStatus): void {
  recorded.statuses.push({
    link: status.link, state: status.state, role: status.role, offset: status.offset, durableOffset: status.durableOffset,
    lastSync: status.lastSync, loaded: status.loaded, replid: status.replid,
  })
  for (const probe of [...armed]) {
    if (!probe.when(status)) continue
    armed.splice(armed.indexOf(probe), 1)
    // Started synchronously inside the status event: the read sees the data as it is at that moment.
    void need().get(probe.key).then((value) => recorded.reads.push({ key: probe.key, value, link: status.link, offset: status.offset }))
  }
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
    armed.push({ key, when: (s) => s.link === link })
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
