// HMSET key field value [field value ...]: HSET answering OK (deprecated in Redis, still served).
import { OK } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { hsetGeneric } from './hset-generic.ts'

export const hmset: Command = {
  name: 'hmset',
  arity: -4,
  flags: ['write', 'denyoom', 'fast'],
  execute(ctx, argv) {
    const created = hsetGeneric(ctx, argv, 'hmset')
    return typeof created === 'number' ? OK : created
  },
}
