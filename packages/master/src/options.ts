// Options of a Replicast master. Every limit is here, named as in docs/operations.md, with its
// default. `resolveMasterOptions` merges the defaults and rejects bad or conflicting values with one
// message that names all of them.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ReplicastError } from '@replicast/core'

/** What `verifyReplica` sees of an upgrade request. */
export interface ReplicaUpgradeRequest {
  readonly url: string
  readonly origin: string | undefined
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly remoteAddress: string | undefined
}

/** Where an upstream-mode master replicates from (`MasterOptions.replicaOf`). */
export interface ReplicaOfOptions {
  readonly host: string
  readonly port: number
  /** Sent as `AUTH [username] password` before the handshake (Redis's `masterauth`). */
  readonly password?: string | undefined
  /** With `password`: the ACL user (Redis's `masteruser`). */
  readonly username?: string | undefined
}

export const REPLICA_SNAPSHOT_FORMS = Object.freeze(['auto', 'eof', 'length'] as const)
export type ReplicaSnapshotForm = (typeof REPLICA_SNAPSHOT_FORMS)[number]

export interface MasterOptions {
  /**
   * Address the RESP and WebSocket servers listen on. The default keeps the master on loopback, as
   * Redis's protected mode does; set `0.0.0.0` (and `requirePass`) to serve other machines.
   * @default '127.0.0.1'
   */
  readonly host: string
  /** TCP port for RESP clients (redis-cli, ioredis, redis-server replicas). 0 picks a free port. @default 6380 */
  readonly port: number
  /** Port of the WebSocket server for replicas. 0 picks a free port. @default 8080 */
  readonly wsPort: number
  /** Path of the replication WebSocket. @default '/replication' */
  readonly wsPath: string
  /**
   * Size of the replication backlog in bytes: how much of the stream a disconnected replica may miss
   * and still continue with a partial resync (Redis's `repl-backlog-size`). At least 16384.
   * @default 1048576
   */
  readonly backlogBytes: number
  /**
   * A replica that sends no ACK for this long is disconnected (Redis's `repl-timeout`). Must be
   * greater than `pingPeriodMs`.
   * @default 60000
   */
  readonly timeoutMs: number
  /** How often the master writes `ping` into the stream (Redis's `repl-ping-replica-period`). @default 10000 */
  readonly pingPeriodMs: number
  /**
   * A replica whose unsent stream reaches this many bytes is disconnected at once (Redis's
   * `client-output-buffer-limit replica` hard limit). Never below `backlogBytes`.
   * @default 268435456
   */
  readonly outputBufferHardBytes: number
  /** A replica whose unsent stream stays above this many bytes for `outputBufferSoftMs` is disconnected. @default 67108864 */
  readonly outputBufferSoftBytes: number
  /** See `outputBufferSoftBytes`. @default 60000 */
  readonly outputBufferSoftMs: number
  /** Most replicas connected at once, over both transports; more are refused with a reason. @default 10000 */
  readonly maxReplicas: number
  /** Most RESP clients connected at once (Redis's `maxclients`). @default 10000 */
  readonly maxClients: number
  /** Largest WebSocket message a replica may send, in bytes (replicas only send short commands). @default 65536 */
  readonly maxFrameBytes: number
  /** Largest bulk string a client may send (Redis's `proto-max-bulk-len`). @default 536870912 */
  readonly maxBulkBytes: number
  /** Most arguments in one command. @default 16777216 */
  readonly maxArrayLength: number
  /** Longest inline command or protocol header line. @default 65536 */
  readonly maxInlineBytes: number
  /**
   * Password required by AUTH, from RESP clients and from replicas (Redis's `requirepass`).
   * @default undefined (no authentication)
   */
  readonly requirePass: string | undefined
  /**
   * Origins allowed to open the replication WebSocket (browser pages send an Origin header).
   * `undefined` allows every origin.
   * @default undefined
   */
  readonly allowedOrigins: readonly string[] | undefined
  /** Number of databases (Redis's `databases`). @default 16 */
  readonly databases: number
  /**
   * Most time one slice of snapshot serialization may take before the master yields to other work, in
   * milliseconds. Lower keeps the event loop more responsive; higher makes full syncs a little faster.
   * @default 8
   */
  readonly snapshotSliceMs: number
  /**
   * How long a finished snapshot may be given to later full syncs (while the backlog still holds
   * the stream since it), in milliseconds. 0 makes every full sync take its own snapshot.
   * @default 60000
   */
  readonly snapshotReuseMs: number
  /**
   * Checks a replica's WebSocket upgrade request (a token in a header or the query string, say)
   * before it may replicate. Rejected upgrades get 401. Programmatic only.
   * @default undefined (every replica is accepted; `requirePass` still applies to AUTH)
   */
  readonly verifyReplica: ((request: ReplicaUpgradeRequest) => boolean | Promise<boolean>) | undefined
  /** How often the active expiry cycle runs, per second (Redis's `hz`). @default 10 */
  readonly activeExpireHz: number
  /** Most keys with a TTL the active expiry cycle examines per run. @default 200 */
  readonly activeExpireKeysPerCycle: number
  /**
   * Upstream mode (DESIGN §7): replicate from a real Redis at `host:port` (Redis's `replicaof`), with
   * `password` (and `username`) sent as AUTH first (Redis's `masterauth`, `masteruser`). The master
   * then serves Redis's data to its replicas with Redis's own replid and offsets, refuses writes with
   * READONLY, and reports `role:slave` (upstream/upstream.ts).
   * @default undefined (an ordinary master)
   */
  readonly replicaOf: ReplicaOfOptions | undefined
  /**
   * How a redis-server replica (TCP) receives its snapshot: 'auto' sends Redis's diskless form
   * (`$EOF:<mark>`, then the stream only after the replica's first ACK) to replicas that announce
   * `capa eof`, as Redis 7 with `repl-diskless-sync yes`, and `$<length>` to the others; 'length'
   * always sends `$<length>` (as Redis with `repl-diskless-sync no`); 'eof' always sends the EOF form,
   * also to a replica that did not announce `capa eof` (only for tools known to read it). `SYNC`
   * always gets `$<length>`.
   * @default 'auto'
   */
  readonly replicaSnapshotForm: ReplicaSnapshotForm
  /**
   * Answers plain HTTP requests to the WebSocket port (WebSocket upgrades never reach it), e.g. the
   * demo dashboard's static files (`createStaticHandler`). Programmatic only.
   * @default undefined (every request gets 426 Upgrade Required with a hint)
   */
  readonly httpHandler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined
}

export const MASTER_DEFAULTS: MasterOptions = Object.freeze({
  host: '127.0.0.1',
  port: 6380,
  wsPort: 8080,
  wsPath: '/replication',
  backlogBytes: 1024 * 1024,
  timeoutMs: 60_000,
  pingPeriodMs: 10_000,
  outputBufferHardBytes: 256 * 1024 * 1024,
  outputBufferSoftBytes: 64 * 1024 * 1024,
  outputBufferSoftMs: 60_000,
  maxReplicas: 10_000,
  maxClients: 10_000,
  maxFrameBytes: 64 * 1024,
  maxBulkBytes: 512 * 1024 * 1024,
  maxArrayLength: 16 * 1024 * 1024,
  maxInlineBytes: 64 * 1024,
  requirePass: undefined,
  allowedOrigins: undefined,
  databases: 16,
  snapshotSliceMs: 8,
  snapshotReuseMs: 60_000,
  verifyReplica: undefined,
  activeExpireHz: 10,
  activeExpireKeysPerCycle: 200,
  replicaOf: undefined,
  replicaSnapshotForm: 'auto',
  httpHandler: undefined,
})

/** Thrown for invalid options (ERR_MASTER_OPTIONS); lists every problem at once. */
export class MasterOptionsError extends ReplicastError {
  readonly problems: readonly string[]

  constructor(problems: readonly string[]) {
    super('ERR_MASTER_OPTIONS', `Invalid master options: ${problems.join('; ')}.`)
    this.problems = problems
  }
}

const PORT_FIELDS = ['port', 'wsPort'] as const
const POSITIVE_FIELDS = [
  'backlogBytes', 'timeoutMs', 'pingPeriodMs', 'outputBufferHardBytes', 'outputBufferSoftBytes',
  'outputBufferSoftMs', 'maxReplicas', 'maxClients', 'maxFrameBytes', 'maxBulkBytes', 'maxArrayLength',
  'maxInlineBytes', 'databases', 'snapshotSliceMs', 'activeExpireHz', 'activeExpireKeysPerCycle',
] as const
const NON_NEGATIVE_FIELDS = ['snapshotReuseMs'] as const

export function resolveMasterOptions(options: Partial<MasterOptions> = {}): MasterOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined))
  const o: MasterOptions = { ...MASTER_DEFAULTS, ...defined }
  const problems: string[] = []
  for (const key of Object.keys(options)) {
    if (!(key in MASTER_DEFAULTS)) problems.push(`unknown option "${key}"`)
  }
  for (const field of PORT_FIELDS) {
    const v = o[field]
    if (!Number.isInteger(v) || v < 0 || v > 65535) problems.push(`${field} must be a port number 0..65535, got ${String(v)}`)
  }
  for (const field of POSITIVE_FIELDS) {
    const v = o[field]
    if (!Number.isSafeInteger(v) || v <= 0) problems.push(`${field} must be a positive integer, got ${String(v)}`)
  }
  for (const field of NON_NEGATIVE_FIELDS) {
    const v = o[field]
    if (!Number.isSafeInteger(v) || v < 0) problems.push(`${field} must be a non-negative integer, got ${String(v)}`)
  }
  if (o.verifyReplica !== undefined && typeof o.verifyReplica !== 'function') problems.push('verifyReplica must be a function')
  if (o.httpHandler !== undefined && typeof o.httpHandler !== 'function') problems.push('httpHandler must be a function')
  if (!REPLICA_SNAPSHOT_FORMS.includes(o.replicaSnapshotForm)) problems.push(`replicaSnapshotForm must be one of ${REPLICA_SNAPSHOT_FORMS.join(', ')}, got ${String(o.replicaSnapshotForm)}`)
  if (o.replicaOf !== undefined) {
    const r = o.replicaOf as Partial<ReplicaOfOptions> | null
    if (r === null || typeof r !== 'object') problems.push('replicaOf must be { host, port, password? }')
    else {
      if (typeof r.host !== 'string' || r.host === '') problems.push(`replicaOf.host must be a host name or address, got ${String(r.host)}`)
      if (!Number.isInteger(r.port) || r.port! < 1 || r.port! > 65535) problems.push(`replicaOf.port must be a port number 1..65535, got ${String(r.port)}`)
      if (r.password !== undefined && typeof r.password !== 'string') problems.push('replicaOf.password must be a string')
      if (r.username !== undefined && (typeof r.username !== 'string' || r.password === undefined)) problems.push('replicaOf.username must be a string, and needs replicaOf.password')
    }
  }
  if (o.backlogBytes < 16 * 1024) problems.push(`backlogBytes must be at least 16384 (Redis's minimum), got ${o.backlogBytes}`)
  if (o.timeoutMs <= o.pingPeriodMs) problems.push(`timeoutMs (${o.timeoutMs}) must be greater than pingPeriodMs (${o.pingPeriodMs}), or replicas time out between pings`)
  if (o.outputBufferSoftBytes > o.outputBufferHardBytes) problems.push(`outputBufferSoftBytes (${o.outputBufferSoftBytes}) must not exceed outputBufferHardBytes (${o.outputBufferHardBytes})`)
  if (o.databases > 1024) problems.push(`databases must be at most 1024, got ${o.databases}`)
  if (o.port !== 0 && o.port === o.wsPort) problems.push(`port and wsPort must differ, both are ${o.port}`)
  if (!o.wsPath.startsWith('/')) problems.push(`wsPath must start with "/", got "${o.wsPath}"`)
  if (problems.length > 0) throw new MasterOptionsError(problems)
  return o
}
