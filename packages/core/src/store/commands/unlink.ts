// UNLINK key [key ...]: DEL whose memory is reclaimed later in Redis; the same here.
import type { Command } from '../command.ts'
import { delGeneric } from './del-generic.ts'

export const unlink: Command = {
  name: 'unlink',
  arity: -2,
  flags: ['write', 'fast'],
  execute(ctx, argv) {
    return delGeneric(ctx, argv)
  },
}
