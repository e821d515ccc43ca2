// HSET and HMSET: field/value pairs; an odd count is an arity error naming the command.
import type { ByteString } from '../../bytes.ts'
import type { RespValue } from '../../resp/value.ts'
import type { CommandContext } from '../context.ts'
import { wrongArity } from '../replies.ts'
import { hashForWrite } from './hash-lookup.ts'

/** Sets the pairs; returns how many fields were created, or the error reply. */
export function hsetGeneric(ctx: CommandContext, argv: readonly ByteString[], name: string): number | RespValue {
  if (argv.length % 2 === 1) return wrongArity(name)
  const hash = hashForWrite(ctx, argv[1]!)
  if ('kind' in hash) return hash
  ctx.modify(argv[1]!, hash)
  const fields = hash.value
  let created = 0
  for (let i = 2; i < argv.length; i += 2) {
    const field = argv[i]!
    if (!fields.has(field)) created++
    fields.set(field, argv[i + 1]!)
  }
  ctx.dirty += (argv.length - 2) / 2
  return created
}
