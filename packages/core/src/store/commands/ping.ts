// PING [message]
import { bulk } from '../../resp/value.ts'
import type { Command } from '../command.ts'
import { PONG, wrongArity } from '../replies.ts'

export const ping: Command = {
  name: 'ping',
  arity: -1,
  flags: ['fast'],
  execute(_ctx, argv) {
    if (argv.length > 2) return wrongArity('ping')
    return argv.length === 1 ? PONG : bulk(argv[1]!)
  },
}
