// TYPE key: a simple string, "none" for a missing key.
import { simple } from '../../resp/value.ts'
import type { Command } from '../command.ts'

const NONE = simple('none')
const NAMES = {
  string: simple('string'),
  list: simple('list'),
  set: simple('set'),
  zset: simple('zset'),
  hash: simple('hash'),
} as const

export const typeCommand: Command = {
  name: 'type',
  arity: 2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    const entry = ctx.lookup(argv[1]!)
    return entry === undefined ? NONE : NAMES[entry.type]
  },
}
