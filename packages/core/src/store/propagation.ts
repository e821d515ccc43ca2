// How an execution unit's effects enter the replication stream (Redis 7.0 propagatePendingCommands,
// server.c; REDIS.md §6.4-6.5), for the shell to apply and for tests to compare against real Redis:
//
// - one effect: alone; more than one: MULTI, the effects, EXEC. Redis 7.0 propagates MULTI in the
//   database of the first effect, so a SELECT, if needed, comes *before* MULTI; SELECTs between
//   effects of other databases go inside. EXEC has no database.
// - a non-atomic unit (SCAN's lazy-expiry deletions, active expiry) is never wrapped.
// - before an effect whose db is not -1 and differs from the stream's current db, `SELECT <db>`.
import type { ByteString } from '../bytes.ts'
import type { Effect } from '../values.ts'

const MULTI: readonly ByteString[] = Object.freeze(['MULTI'])
const EXEC: readonly ByteString[] = Object.freeze(['EXEC'])

/** The unit's commands in stream order, MULTI/EXEC included (SELECTs not yet). */
export function wrapExecutionUnit(effects: readonly Effect[], atomic = true): readonly Effect[] {
  if (effects.length <= 1 || !atomic) return effects
  return [{ db: effects[0]!.db, argv: MULTI }, ...effects, { db: -1, argv: EXEC }]
}

/**
 * Tracks the database the replication stream has selected (Redis's slaveseldb) and says when a
 * SELECT must precede a command. `reset()` after a full resync, so the next keyed command selects.
 */
export class StreamDbTracker {
  #db = -1

  get db(): number {
    return this.#db
  }

  /** The SELECT to emit before `effect`, or null. Updates the tracked database. */
  selectBefore(effect: Effect): readonly ByteString[] | null {
    if (effect.db === -1 || effect.db === this.#db) return null
    this.#db = effect.db
    return ['SELECT', String(effect.db)]
  }

  reset(): void {
    this.#db = -1
  }
}

/** A unit as the full list of stream commands: wrapped, with SELECTs inserted. */
export function streamCommands(effects: readonly Effect[], atomic: boolean, tracker: StreamDbTracker): ByteString[][] {
  const out: ByteString[][] = []
  for (const effect of wrapExecutionUnit(effects, atomic)) {
    const select = tracker.selectBefore(effect)
    if (select !== null) out.push([...select])
    out.push([...effect.argv])
  }
  return out
}
