// EXISTS key [key ...]: a key named twice counts twice.
import { integer } from '../../resp/value.ts'
import type { Command } from '../command.ts'

export const exists: Command = {
  name: 'exists',
  arity: -2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    let count = 0
    for (let j = 1; j < argv.length; j++) if (ctx.lookup(argv[j]!) !== undefined) count++
    return integer(count)
  },
}
