// Active expiry on a master (Redis's activeExpireCycle, expire.c, simplified): each call examines at
// most `maxKeys` keys that have a TTL, continuing where the previous call stopped, database after
// database, and deletes those whose time has passed. It never scans the whole keyspace: only the
// volatile-key index, and only `maxKeys` of it. Each deletion is propagated as `DEL key`, on its own
// (Redis flushes active-expiry deletions outside any MULTI/EXEC).
//
// The shell calls it on a timer (Redis: 10 times a second) with `now`; replicas never call it.
import type { ByteString } from '../bytes.ts'
import type { Effect } from '../values.ts'
import { NO_EXPIRY } from './entry.ts'
import type { Keyspace } from './keyspace.ts'

const DEL: ByteString = 'DEL'

export class ActiveExpiry {
  readonly #keyspace: Keyspace
  #db = 0

  constructor(keyspace: Keyspace) {
    this.#keyspace = keyspace
  }

  cycle(now: number, maxKeys: number): Effect[] {
    const dbs = this.#keyspace.dbs
    const effects: Effect[] = []
    let examined = 0
    // Each database is entered at most once per call, so a call never examines a key twice.
    let switches = 0
    while (examined < maxKeys && switches < dbs.length) {
      const database = dbs[this.#db]!
      database.expireCursor ??= database.volatile.values()
      const step = database.expireCursor.next()
      if (step.done === true) {
        // End of this database's volatile keys: move on, and start over here next time around.
        database.expireCursor = null
        this.#db = (this.#db + 1) % dbs.length
        switches++
        continue
      }
      examined++
      const key = step.value
      const entry = database.dict.get(key)
      if (entry === undefined || entry.expireAt === NO_EXPIRY || !(now > entry.expireAt)) continue
      this.#keyspace.delete(database.index, key, entry)
      effects.push({ db: database.index, argv: [DEL, key] })
    }
    return effects
  }
}
