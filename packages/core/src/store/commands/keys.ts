// KEYS pattern: expired keys are skipped but not deleted (keysCommand uses keyIsExpired).
import { array, bulk, type RespValue } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { globMatch, isMatchAll } from '../glob.ts'

export const keys: Command = {
  name: 'keys',
  arity: 2,
  flags: ['readonly'],
  execute(ctx, argv) {
    const pattern = argv[1]!
    const all = isMatchAll(pattern)
    const out: RespValue[] = []
    for (const [key, entry] of ctx.keyspace.dbs[ctx.db]!.dict) {
      if ((all || globMatch(pattern, key)) && !ctx.isExpired(entry)) out.push(bulk(key))
    }
    return array(out)
  },
}
