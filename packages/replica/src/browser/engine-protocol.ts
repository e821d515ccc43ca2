// The messages between a tab's main thread (browser-replica.ts, a thin proxy) and its replica worker
// (replica-worker.ts, where the replica itself runs: socket, machine, dataset, RDB parsing, IndexedDB).
//
//   main ──{id, op: 'init' | 'follow' | 'lead' | 'read' | 'digest' | 'ready' | 'wait' | 'close'}──► worker
//   main ◄─{id, ok, value | error}──────────────────────────────────────────────────────────────── worker
//   main ──{op: 'clock' | 'connect' | 'disconnect' | 'reconnect-now' | 'changes' | 'ack' | 'cancel' | 'socket'}──► worker (no reply)
//   main ◄─{event: 'view' | 'changes' | 'error' | 'socket'}─────────────────────────────────────── worker
//
// Ordering: the worker posts every event that is due (changes, the latest view) before any reply, so
// once a read or a wait resolves on the main thread, the status there is at least as new as what the
// reply saw. A 'view' carrying a `seq` is a change of link, state, sync or loading: the worker holds the
// link's next frames until the main thread has emitted it and answered {op: 'ack', seq}, so a read
// started in a status listener sees the data as it was when that status was current (what a replica
// on the page's main thread gives, and what the e2e specs check).
//
// The link's clock is the page's (StallClock, page-lifecycle.ts): the main thread sends its readings
// every tick, and the worker's replica runs on them. A page whose timers stop or jump is then seen
// exactly as a replica on the main thread would see it.
import type { ReplicaStatusInfo } from '../replica.ts'
import type { ReplyValue } from '../reads.ts'
import type { ReplicationMeta } from '../storage/storage.ts'
import type { SerializedError, WorkerIdbOptions } from './worker-protocol.ts'

type Arg = string | Uint8Array | number

/** createReplica's options that cross to the worker: data only (no classes, no functions). */
export interface EngineReplicaOptions {
  readonly url: string
  readonly [option: string]: unknown
}

export type EngineRequest =
  | {
      readonly op: 'init'
      readonly name: string
      readonly options: EngineReplicaOptions
      readonly idb: WorkerIdbOptions
      /** The link clock's reading now. */
      readonly clock: number
      /** The WebSocket is the page's (a `WebSocket` option): the worker's socket relays through the main thread. */
      readonly relaySocket: boolean
    }
  /** Load the stored copy and follow the leader's commits (BroadcastChannel `replicast-data:<name>`). */
  | { readonly op: 'follow' }
  /** Open the store as its owner and start the replica; resolves once it serves reads. */
  | { readonly op: 'lead'; readonly connect: boolean }
  | { readonly op: 'read'; readonly args: readonly Arg[]; readonly db: number; readonly encoding: 'utf8' | 'bytes' }
  | { readonly op: 'digest' }
  | { readonly op: 'ready' }
  /** Resolves once reads see `offset` (BrowserReplica.waitForOffset); never rejects but on close. */
  | { readonly op: 'wait'; readonly offset: number; readonly durable: boolean }
  | { readonly op: 'close' }

export type EngineNotice =
  | { readonly op: 'clock'; readonly now: number }
  | { readonly op: 'connect' }
  | { readonly op: 'disconnect' }
  | { readonly op: 'reconnect-now' }
  /** Whether the page listens to changes at all (no listener: none are sent). */
  | { readonly op: 'changes'; readonly want: boolean }
  | { readonly op: 'ack'; readonly seq: number }
  /** Drops a pending wait (it timed out on the main thread). */
  | { readonly op: 'cancel'; readonly wait: number }
  | { readonly op: 'socket'; readonly sid: number; readonly event: RelaySocketEvent }

export type RelaySocketEvent =
  | { readonly type: 'open' }
  | { readonly type: 'message'; readonly data: ArrayBuffer }
  | { readonly type: 'close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error' }

export type EngineMessage = ({ readonly id: number } & EngineRequest) | EngineNotice

/** What the page shows of its worker: the replica's status (leading) and the follower copy's point. */
export interface EngineView {
  /** The leader's replica, once created; `heardAt` is on the link clock. */
  readonly replica: ReplicaStatusInfo | null
  /** The stored point the follower copy shows, if this tab has one. */
  readonly point: ReplicationMeta | null
  readonly copyLoaded: boolean
  /** Why the leader's replica stopped for good (its store was lost and could not be opened again), or null. */
  readonly stopped: { readonly code: string; readonly message: string } | null
}

/** A change, flattened: [kind (0 key, 1 flush, 2 resync), db, key bytes or null]. */
export type FlatChange = readonly [0 | 1 | 2, number, string | null]

export type EngineEvent =
  | { readonly event: 'view'; readonly view: EngineView; readonly seq: number | null }
  | { readonly event: 'changes'; readonly changes: readonly FlatChange[] }
  | { readonly event: 'error'; readonly error: SerializedError }
  | { readonly event: 'socket'; readonly sid: number; readonly op: 'open'; readonly url: string; readonly protocols: string | string[] | undefined }
  | { readonly event: 'socket'; readonly sid: number; readonly op: 'send'; readonly data: Uint8Array }
  | { readonly event: 'socket'; readonly sid: number; readonly op: 'close'; readonly code: number | undefined; readonly reason: string | undefined }

export type EngineReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  /** `reply`: the error reply of a read (ReplicaCommandError), rebuilt as such on the main thread. */
  | { readonly id: number; readonly ok: false; readonly error: SerializedError; readonly reply?: string }

export type EngineOutput = EngineReply | EngineEvent

export interface EngineResults {
  init: null
  follow: null
  lead: null
  read: ReplyValue
  digest: string
  ready: null
  wait: null
  close: null
}

/** The first message a worker gets tells which service it is (storage-worker-entry.ts). */
export function isEngineMessage(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { op?: unknown }).op === 'init' && 'options' in message
}
