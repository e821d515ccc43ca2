// Options of a replica. Every limit and period is here with its default (docs/operations.md).
import { ReplicastError, type BackoffOptions, type RespLimits } from '@replicast/core'
import type { ReplicaStorage } from './storage/storage.ts'
import type { WebSocketConstructor } from './websocket.ts'

export interface ReplicaOptions {
  /** The master's replication endpoint, e.g. `ws://127.0.0.1:8080/replication`. */
  readonly url: string
  /**
   * Where the replica keeps a durable copy: createIndexedDbStorage in browsers, createFileStorage in
   * Node, to resume with PSYNC after a restart. Undefined (the default): no storage, the dataset in
   * memory is the only copy; nothing is committed anywhere, `durableOffset` follows `offset`, and a
   * restart begins with a full sync. createMemoryStorage() is a storage kept in memory, for tests
   * (a MemoryBacking survives a replica's re-creation).
   * @default undefined (no storage)
   */
  readonly storage: ReplicaStorage | undefined
  /**
   * The WebSocket class. Browsers and Node 22 have one; on Node 20 pass `ws`'s (the
   * `@replicast/replica/node` entry does).
   * @default globalThis.WebSocket
   */
  readonly WebSocket: WebSocketConstructor | undefined
  /** Password (and optional user) for the master's `requirePass`. @default undefined */
  readonly auth: { readonly username?: string; readonly password: string } | undefined
  /** How often to send `REPLCONF ACK`, in ms. @default 1000 */
  readonly ackPeriodMs: number
  /** Drop the link when the master is silent this long, in ms (it pings every 10 s). @default 60000 */
  readonly timeoutMs: number
  /** Resolution of the replica's clock (ACKs, timeouts), in ms. @default 100 */
  readonly tickMs: number
  /** Reconnect delays: exponential with jitter. @default { initialDelayMs: 500, maxDelayMs: 30000, multiplier: 2, jitter: 0.5 } */
  readonly backoff: Partial<BackoffOptions>
  /**
   * Most applied commands coalesced into one storage commit. Heavy write rates then cost one
   * transaction per batch, not per command.
   * @default 1000
   */
  readonly persistBatchCommands: number
  /** Longest a change waits before its batch is committed, in ms. @default 10 */
  readonly persistBatchDelayMs: number
  /** Records per storage write while loading a snapshot. @default 5000 */
  readonly snapshotWriteBatch: number
  /** RESP limits for the stream (maxBulkBytes, maxArrayLength, ...). @default RESP_LIMIT_DEFAULTS */
  readonly limits: Partial<RespLimits>
  /** Start connecting at once; false waits for `replica.connect()`. @default true */
  readonly autoConnect: boolean
  /**
   * The clock of the replication link, in ms: when the master was last heard from, ACK periods, the
   * link timeout and `lagMs` are measured on it (reads and expiry use the wall clock). Browsers pass a
   * clock that does not count time the page was frozen or its timers throttled, so that a late tick
   * on resume does not declare a live master dead (`@replicast/replica/browser` does).
   * @default Date.now
   */
  readonly clock: () => number
}

export const REPLICA_DEFAULTS = Object.freeze({
  storage: undefined,
  WebSocket: undefined,
  auth: undefined,
  ackPeriodMs: 1000,
  timeoutMs: 60_000,
  tickMs: 100,
  backoff: Object.freeze({}),
  persistBatchCommands: 1000,
  persistBatchDelayMs: 10,
  snapshotWriteBatch: 5000,
  limits: Object.freeze({}),
  autoConnect: true,
  clock: Date.now,
}) satisfies Omit<ReplicaOptions, 'url'>

/** Invalid options given to createReplica or createBrowserReplica; `problems` lists every one found. */
export class ReplicaOptionsError extends ReplicastError {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super('ERR_REPLICA_OPTIONS', `Invalid replica options: ${problems.join('; ')}.`)
    this.problems = problems
  }
}

export function resolveReplicaOptions(options: Partial<ReplicaOptions> & { url: string }): ReplicaOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  const o = { ...REPLICA_DEFAULTS, ...defined } as ReplicaOptions
  const problems: string[] = []
  try {
    const url = new URL(o.url)
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') problems.push(`url must be a ws:// or wss:// URL, got ${o.url}`)
  } catch {
    problems.push(`url is not a URL: ${String(o.url)}`)
  }
  for (const key of ['ackPeriodMs', 'timeoutMs', 'tickMs', 'persistBatchCommands', 'snapshotWriteBatch'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] <= 0) problems.push(`${key} must be a positive integer, got ${String(o[key])}`)
  }
  if (!Number.isSafeInteger(o.persistBatchDelayMs) || o.persistBatchDelayMs < 0) problems.push(`persistBatchDelayMs must be a non-negative integer, got ${String(o.persistBatchDelayMs)}`)
  if (typeof o.clock !== 'function') problems.push(`clock must be a function returning ms, got ${typeof o.clock}`)
  if (o.timeoutMs <= o.ackPeriodMs) problems.push(`timeoutMs (${o.timeoutMs}) must exceed ackPeriodMs (${o.ackPeriodMs})`)
  for (const key of Object.keys(options)) if (key !== 'url' && !(key in REPLICA_DEFAULTS)) problems.push(`unknown option "${key}"`)
  if (problems.length > 0) throw new ReplicaOptionsError(problems)
  return o
}
