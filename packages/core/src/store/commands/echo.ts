// ECHO message
import { bulk } from '../../resp/value.ts'
import type { Command } from '../command.ts'

export const echo: Command = {
  name: 'echo',
  arity: 2,
  flags: ['loading', 'stale', 'fast'],
  execute(_ctx, argv) {
    return bulk(argv[1]!)
  },
}
