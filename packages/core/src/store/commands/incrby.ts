// INCRBY key increment: the increment is parsed before the key is looked up.
import type { Command } from '../command.ts'
import { parseLong } from '../arguments.ts'
import { NOT_AN_INTEGER } from '../replies.ts'
import { incrDecr } from './incr-generic.ts'

export const incrby: Command = {
  name: 'incrby',
  arity: 3,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const increment = parseLong(argv[2]!)
    if (increment === null) return NOT_AN_INTEGER
    return incrDecr(ctx, argv[1]!, increment)
  },
}
