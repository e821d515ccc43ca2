// PTTL key
import type { Command } from '../command.ts'
import { ttlGeneric } from './ttl-generic.ts'

export const pttl: Command = {
  name: 'pttl',
  arity: 2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    return ttlGeneric(ctx, argv[1]!, true)
  },
}
