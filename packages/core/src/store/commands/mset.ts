// MSET key value [key value ...]: every key loses its TTL, as with SET.
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { wrongArity } from '../replies.ts'

export const mset: Command = {
  name: 'mset',
  arity: -3,
  flags: ['write', 'denyoom'],
  execute(ctx, argv) {
    if (argv.length % 2 === 0) return wrongArity('mset')
    for (let j = 1; j < argv.length; j += 2) {
      const key = argv[j]!
      ctx.setString(key, ctx.lookup(key), argv[j + 1]!, false)
    }
    ctx.dirty += (argv.length - 1) / 2
    return OK
  },
}
