// The master's replication identity (REDIS.md §4) and the PSYNC decision (REDIS.md §3.3).
//
//   ids = { replid, replid2, secondReplOffset }       replid2 = NO_REPLID, secondReplOffset = -1 when unset
//   shiftReplId(ids, newId, masterReplOffset)          promotion / restart: old id stays valid up to the offset
//   decidePsync(ids, backlog, replid, offset, psync2)  → continue | full | error
//
// Pure values and functions: the shell holds the current `ReplicationIds` and replaces it.
// Deliberately left out: drawing new IDs (replid.ts takes the random bytes) and persisting them.
import { error, simple, type RespError, type RespSimple } from '../resp/value.ts'
import type { BacklogView } from './backlog.ts'
import { parseRedisInteger, type Offset } from './offset.ts'
import { NO_REPLID, sameReplId, type ReplId } from './replid.ts'

export interface ReplicationIds {
  /** The current history's ID (INFO `master_replid`). */
  readonly replid: ReplId
  /** The previous history's ID, NO_REPLID when unset (INFO `master_replid2`). */
  readonly replid2: ReplId
  /** Last PSYNC offset (first byte wanted) served against replid2, -1 when unset (INFO `second_repl_offset`). */
  readonly secondReplOffset: number
}

/** A fresh identity: `replid`, no secondary ID (Redis: changeReplicationId + clearReplicationId2). */
export function newReplicationIds(replid: ReplId): ReplicationIds {
  return { replid, replid2: NO_REPLID, secondReplOffset: -1 }
}

/** Replaces the ID and keeps replid2 (Redis: changeReplicationId). */
export function changeReplId(ids: ReplicationIds, newId: ReplId): ReplicationIds {
  return { ...ids, replid: newId }
}

/** Forgets the secondary ID (Redis: clearReplicationId2). */
export function clearReplId2(ids: ReplicationIds): ReplicationIds {
  return { ...ids, replid2: NO_REPLID, secondReplOffset: -1 }
}

/**
 * Starts a new history at `masterReplOffset` while the old one stays valid for PSYNC up to it
 * (Redis: shiftReplicationId): replid2 = replid, secondReplOffset = masterReplOffset + 1.
 * Used on promotion, and by a master restarted from persisted state (REDIS.md §4.1: new replid,
 * replid2 = persisted replid, second = persisted offset + 1).
 */
export function shiftReplId(ids: ReplicationIds, newId: ReplId, masterReplOffset: Offset): ReplicationIds {
  return { replid: newId, replid2: ids.replid, secondReplOffset: masterReplOffset + 1 }
}

/** Why a PSYNC got a full resync. */
export type FullResyncReason =
  /** `PSYNC ? …`: the replica asked for it. */
  | 'requested'
  /** The ID is neither replid nor replid2. */
  | 'replid-mismatch'
  /** The ID is replid2 but the offset is past secondReplOffset. */
  | 'replid2-offset'
  /** There is no backlog. */
  | 'no-backlog'
  /** The backlog no longer holds the first byte wanted. */
  | 'not-in-backlog'
  /** The replica is ahead of the master (it saw writes this master does not have). */
  | 'ahead-of-master'

export type PsyncDecision =
  | {
      readonly kind: 'continue'
      /** `+CONTINUE <replid>` for a replica with `capa psync2`, else `+CONTINUE`. */
      readonly reply: RespSimple
      /** The same reply as a line, without CRLF: '+CONTINUE <replid>' or '+CONTINUE'. */
      readonly replyLine: string
      /** Send the backlog after this offset (the replica's offset; PSYNC's argument − 1). */
      readonly fromOffset: Offset
    }
  | {
      readonly kind: 'full'
      readonly reason: FullResyncReason
      /** Redis counts it in `sync_partial_err` (every reason but 'requested'). */
      readonly countsAsPartialErr: boolean
      /** Redis's log line for it. */
      readonly log: string
    }
  | { readonly kind: 'error'; readonly reply: RespError }

const NOT_AN_INTEGER = 'ERR value is not an integer or out of range'

/**
 * Decides a `PSYNC <requestedReplid> <requestedOffset>` exactly as Redis's
 * masterTryPartialResynchronization() (replication.c) does. `requestedOffset` is PSYNC's argument:
 * the first byte wanted (replica offset + 1). A non-integer offset is an error reply, after which
 * the connection stays usable (Redis: syncCommand's getLongLongFromObjectOrReply).
 */
export function decidePsync(
  ids: ReplicationIds,
  backlog: BacklogView | null,
  requestedReplid: string,
  requestedOffset: string | number,
  capaPsync2: boolean,
): PsyncDecision {
  const psyncOffset = typeof requestedOffset === 'number'
    ? (Number.isSafeInteger(requestedOffset) ? requestedOffset : null)
    : parseRedisInteger(requestedOffset)
  if (psyncOffset === null) return { kind: 'error', reply: error(NOT_AN_INTEGER) }

  const full = (reason: FullResyncReason, log: string): PsyncDecision => ({
    kind: 'full',
    reason,
    // Redis: "only if the replid is not '?', as this is used by slaves to force a full resync".
    countsAsPartialErr: !requestedReplid.startsWith('?'),
    log,
  })

  // Is the replication ID of this master the same advertised by the wannabe slave via PSYNC?
  // If the replication ID changed this master has a different replication history and there is no
  // way to continue. Note that there are two potentially valid replication IDs: the ID1 and the ID2.
  if (
    !sameReplId(requestedReplid, ids.replid) &&
    (!sameReplId(requestedReplid, ids.replid2) || psyncOffset > ids.secondReplOffset)
  ) {
    if (requestedReplid.startsWith('?')) return full('requested', 'Full resync requested by replica')
    if (!sameReplId(requestedReplid, ids.replid) && !sameReplId(requestedReplid, ids.replid2)) {
      return full('replid-mismatch', `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${requestedReplid}', my replication IDs are '${ids.replid}' and '${ids.replid2}')`)
    }
    return full('replid2-offset', `Partial resynchronization not accepted: Requested offset for second ID was ${psyncOffset}, but I can reply up to ${ids.secondReplOffset}`)
  }

  // We still have the data our slave is asking for?
  if (backlog === null) {
    return full('no-backlog', `Unable to partial resync with replica for lack of backlog (Replica request was: ${psyncOffset}).`)
  }
  if (psyncOffset < backlog.firstByteOffset || psyncOffset > backlog.firstByteOffset + backlog.histlen) {
    if (psyncOffset > backlog.masterReplOffset + 1) {
      return full('ahead-of-master', `Unable to partial resync with replica for lack of backlog (Replica request was: ${psyncOffset}). Warning: replica tried to PSYNC with an offset that is greater than the master replication offset.`)
    }
    return full('not-in-backlog', `Unable to partial resync with replica for lack of backlog (Replica request was: ${psyncOffset}).`)
  }

  const replyLine = capaPsync2 ? `+CONTINUE ${ids.replid}` : '+CONTINUE'
  return { kind: 'continue', reply: simple(replyLine.slice(1)), replyLine, fromOffset: psyncOffset - 1 }
}
