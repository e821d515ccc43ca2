// TTL key
import type { Command } from '../command.ts'
import { ttlGeneric } from './ttl-generic.ts'

export const ttl: Command = {
  name: 'ttl',
  arity: 2,
  flags: ['readonly', 'fast'],
  execute(ctx, argv) {
    return ttlGeneric(ctx, argv[1]!, false)
  },
}
