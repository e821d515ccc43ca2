// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]
import type { Command } from '../command.ts'
import { parseSetOptions, setGeneric } from './set-generic.ts'

export const set: Command = {
  name: 'set',
  arity: -3,
  flags: ['write', 'denyoom'],
  execute(ctx, argv) {
    if (argv.length === 3) return setGeneric(ctx, 0, argv[1]!, argv[2]!, null, 'set')
    const options = parseSetOptions(argv)
    if ('kind' in options) return options
    return setGeneric(ctx, options.flags, argv[1]!, argv[2]!, options.expire, 'set')
  },
}
