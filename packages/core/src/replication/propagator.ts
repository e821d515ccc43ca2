// The propagator: turns execution units into stream bytes exactly as Redis 7.0's
// propagatePendingCommands() + replicationFeedSlaves() do (REDIS.md §3.1, §6.4, §6.5). Which
// commands a unit becomes (MULTI/EXEC wrapping, SELECTs) is store/propagation.ts's rule, the one
// the differential test checks against a real redis-server; this file encodes and appends them:
//
//   feedUnit([])                      → nothing
//   feedUnit([{db:0, SET k v}])       → SELECT 0 (if db 0 is not selected), SET k v
//   feedUnit([{db:0,…}, {db:3,…}])    → SELECT 0?, MULTI, …, SELECT 3, …, EXEC   (Redis 7.0.15)
//   feedUnit(effects, false)          → each effect on its own (SCAN's lazy-expiry DELs)
//   feedPing()                        → *1\r\n$4\r\nping\r\n          (db -1: never a SELECT)
//   feedGetAck()                      → REPLCONF GETACK *  (37 bytes) (db -1)
//
// Every byte is appended to the backlog and counted in the offset. A unit is appended at once (one
// `append`, or written in place and counted by one `commitTail`), so a shell that sends each
// append as one STREAM frame sends whole commands.
//
// Deliberately left out: deciding what a command's effects are (store/ does), and when to ping
// (the shell's clock, every `pingPeriodMs`, only while replicas are attached).
import { ByteWriter, type ByteString } from '../bytes.ts'
import { commandByteLength, writeCommand, writeCommandInto } from '../resp/encoder.ts'
import { streamCommands, StreamDbTracker } from '../store/propagation.ts'
import type { Effect } from '../values.ts'
import type { ReplicationBacklog } from './backlog.ts'
import type { Offset } from './offset.ts'

/** Where a fed unit landed in the stream: the offsets before and after its bytes. */
export interface FeedResult {
  readonly startOffset: Offset
  readonly endOffset: Offset
}

// Redis: shared.ping = createStringObject("ping",4), lowercase, in 7.0/7.2/7.4.
const PING: readonly ByteString[] = ['ping']
const GETACK: readonly ByteString[] = ['REPLCONF', 'GETACK', '*']

export class Propagator {
  readonly #backlog: ReplicationBacklog
  readonly #writer = new ByteWriter(256)
  readonly #tracker = new StreamDbTracker()

  constructor(backlog: ReplicationBacklog) {
    this.#backlog = backlog
  }

  /** The database the stream last SELECTed (Redis's `slaveseldb`), -1 when a SELECT is due. */
  get selectedDb(): number {
    return this.#tracker.db
  }

  /**
   * Forces a SELECT before the next keyed command. Call at every full-resync setup (when a snapshot
   * at the current offset is started) and on promotion; NOT on a partial resync, where the replica
   * keeps the database it had selected (REDIS.md §6.5).
   */
  resetSelectedDb(): void {
    this.#tracker.reset()
  }

  /**
   * Appends one execution unit: nothing for none, one effect alone, several in MULTI … EXEC, or
   * each on its own when the unit is not `atomic`.
   */
  feedUnit(effects: readonly Effect[], atomic = true): FeedResult {
    if (effects.length === 0) {
      const at = this.#backlog.masterReplOffset
      return { startOffset: at, endOffset: at }
    }
    for (const effect of effects) {
      if (effect.argv.length === 0) throw new RangeError('Cannot propagate an effect with an empty argv.')
      if (effect.db !== -1 && (!Number.isSafeInteger(effect.db) || effect.db < 0)) throw new RangeError(`Cannot propagate an effect on database ${effect.db}.`)
    }
    if (effects.length === 1) {
      // The common unit, one write: what streamCommands gives for it, without building its list,
      // encoded straight into the backlog's last block when it fits there (no copy).
      const effect = effects[0]!
      const select = this.#tracker.selectBefore(effect)
      const size = (select === null ? 0 : commandByteLength(select)) + commandByteLength(effect.argv)
      const backlog = this.#backlog
      const tail = backlog.tailRoom(size)
      if (tail !== null) {
        let at = backlog.tailIndex
        if (select !== null) at = writeCommandInto(tail, at, select)
        writeCommandInto(tail, at, effect.argv)
        return backlog.commitTail(size)
      }
      if (select !== null) writeCommand(this.#writer, select)
      writeCommand(this.#writer, effect.argv)
    } else {
      for (const argv of streamCommands(effects, atomic, this.#tracker)) writeCommand(this.#writer, argv)
    }
    return this.#append()
  }

  /** Appends the periodic `ping` (14 bytes, lowercase, no SELECT). */
  feedPing(): FeedResult {
    writeCommand(this.#writer, PING)
    return this.#append()
  }

  /** Appends `REPLCONF GETACK *` (37 bytes), which makes every replica ACK at once (WAIT). */
  feedGetAck(): FeedResult {
    writeCommand(this.#writer, GETACK)
    return this.#append()
  }

  // The backlog copies the bytes into its blocks, so the writer's buffer is lent, not copied. The
  // writer is reset first: whatever happens in append, the next unit starts empty.
  #append(): FeedResult {
    const bytes = this.#writer.view()
    this.#writer.reset()
    return this.#backlog.append(bytes)
  }
}
