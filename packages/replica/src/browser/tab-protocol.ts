// The messages on a replica's BroadcastChannel (named after the replica), between the leader tab and
// the follower tabs of one origin (DESIGN §5: one tab leads and writes IndexedDB; the others follow).
//
//   leader's storage worker ──commit {prev, point, batch}──► followers   (after the transaction committed)
//   leader's storage worker ──switch {point}───────────────► followers   (a full sync's new generation is current)
//   leader's main thread ─────status {status}──────────────► followers   (on change, at most every statusPeriodMs)
//   a follower ───────────────hello─────────────────────────► leader      (answered with a status)
//
// Followers only ever see what is durable: a commit is broadcast once IndexedDB has committed it, so a
// follower's data is exactly the stored data at the point it names, and never runs ahead of what a
// crash would leave. `prev` is the point the commit builds on; a follower whose own point is not `prev`
// missed something (it was frozen, or joined mid-way) and reloads from IndexedDB instead of guessing.
//
// Deliberately left out: the leader's identity. Followers do not care who leads; the Web Lock decides.
import type { ReplicaStatusInfo } from '../replica.ts'

/** A point in the master's stream: what a commit brings the stored data to. */
export interface TabPoint {
  readonly replid: string
  readonly offset: number
}

export type TabMessage =
  | { readonly kind: 'commit'; readonly prev: TabPoint | null; readonly point: TabPoint; readonly batch: ArrayBuffer }
  | { readonly kind: 'switch'; readonly point: TabPoint }
  | { readonly kind: 'status'; readonly status: ReplicaStatusInfo }
  | { readonly kind: 'hello' }

export const samePoint = (a: TabPoint | null, b: TabPoint | null): boolean =>
  a === b || (a !== null && b !== null && a.replid === b.replid && a.offset === b.offset)
