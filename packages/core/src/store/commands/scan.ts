// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] (scanGenericCommand, db.c).
// Each step visits COUNT keys (10 by default), then filters them as Redis does: by pattern, by type
// (a lookup, so an expired key is deleted there), and expired keys last. Redis 7.0 quirk kept: with
// TYPE none, a key that the type lookup just expired is returned.
// Flagged touches-arbitrary-keys: the lazy-expiry DELs it causes are propagated one by one.
import { array, bulk, type RespValue } from '../../resp/value.ts'
import { optionIs, parseLong } from '../arguments.ts'
import type { Command } from '../command.ts'
import { globMatch, isMatchAll } from '../glob.ts'
import { int64ToNumber, parseScanCursor } from '../integer.ts'
import { INVALID_CURSOR, NOT_AN_INTEGER, SYNTAX_ERROR } from '../replies.ts'
import type { ByteString } from '../../bytes.ts'

export const scan: Command = {
  name: 'scan',
  arity: -2,
  flags: ['readonly', 'touches-arbitrary-keys'],
  execute(ctx, argv) {
    const cursor = parseScanCursor(argv[1]!)
    if (cursor === null) return INVALID_CURSOR
    let count = 10
    let pattern: ByteString | null = null
    let typeName: ByteString | null = null
    for (let i = 2; i < argv.length; i += 2) {
      const remaining = argv.length - i
      const opt = argv[i]!
      if (optionIs(opt, 'count') && remaining >= 2) {
        const parsed = parseLong(argv[i + 1]!)
        if (parsed === null) return NOT_AN_INTEGER
        if (parsed < 1) return SYNTAX_ERROR
        count = int64ToNumber(parsed)
      } else if (optionIs(opt, 'match') && remaining >= 2) {
        pattern = isMatchAll(argv[i + 1]!) ? null : argv[i + 1]!
      } else if (optionIs(opt, 'type') && remaining >= 2) {
        typeName = argv[i + 1]!
      } else {
        return SYNTAX_ERROR
      }
    }
    const step = ctx.scans.step(ctx.keyspace.dbs[ctx.db]!, cursor, count)
    const out: RespValue[] = []
    for (const key of step.keys) {
      if (pattern !== null && !globMatch(pattern, key)) continue
      if (typeName !== null) {
        const entry = ctx.lookup(key)
        if (!optionIs(typeName, entry === undefined ? 'none' : entry.type)) continue
      }
      const entry = ctx.keyspace.get(ctx.db, key)
      if (entry !== undefined && ctx.expireIfNeeded(key, entry)) continue
      out.push(bulk(key))
    }
    return array([bulk(step.cursor.toString()), array(out)])
  },
}
