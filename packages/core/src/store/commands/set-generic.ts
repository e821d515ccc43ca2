// The SET family's shared core, after Redis's parseExtendedStringArgumentsOrReply,
// getExpireMillisecondsOrReply and setGenericCommand (t_string.c): SET, SETNX, SETEX, PSETEX.
//
// Propagation (Redis 7.0): with any expiry the command becomes `SET key value PXAT <ms>` (NX, XX and
// GET dropped: the effect is deterministic without them); without one but with GET, the GET tokens
// are removed and everything else goes as sent.
import type { ByteString } from '../../bytes.ts'
import { bulk, NIL, OK, type RespError, type RespValue } from '../../resp/value.ts'
import { optionIs } from '../arguments.ts'
import type { CommandContext } from '../context.ts'
import { LLONG_MAX, parseInt64, toBigInt } from '../integer.ts'
import { invalidExpireTime, NOT_AN_INTEGER, SYNTAX_ERROR, WRONGTYPE } from '../replies.ts'

export const SET_NX = 1
export const SET_XX = 2
export const SET_GET = 4
export const SET_KEEPTTL = 8
export const SET_EX = 16
export const SET_PX = 32
export const SET_EXAT = 64
export const SET_PXAT = 128
const ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT

export interface SetOptions {
  readonly flags: number
  readonly expire: ByteString | null
}

/** parseExtendedStringArgumentsOrReply for COMMAND_SET, from argv[3] on. */
export function parseSetOptions(argv: readonly ByteString[]): SetOptions | RespError {
  let flags = 0
  let expire: ByteString | null = null
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!
    const hasNext = j < argv.length - 1
    if (optionIs(opt, 'nx') && !(flags & SET_XX)) flags |= SET_NX
    else if (optionIs(opt, 'xx') && !(flags & SET_NX)) flags |= SET_XX
    else if (optionIs(opt, 'get')) flags |= SET_GET
    else if (optionIs(opt, 'keepttl') && !(flags & ANY_EXPIRE)) flags |= SET_KEEPTTL
    else if (optionIs(opt, 'ex') && !(flags & (SET_KEEPTTL | SET_EXAT | SET_PX | SET_PXAT)) && hasNext) {
      flags |= SET_EX
      expire = argv[++j]!
    } else if (optionIs(opt, 'px') && !(flags & (SET_KEEPTTL | SET_EX | SET_EXAT | SET_PXAT)) && hasNext) {
      flags |= SET_PX
      expire = argv[++j]!
    } else if (optionIs(opt, 'exat') && !(flags & (SET_KEEPTTL | SET_EX | SET_PX | SET_PXAT)) && hasNext) {
      flags |= SET_EXAT
      expire = argv[++j]!
    } else if (optionIs(opt, 'pxat') && !(flags & (SET_KEEPTTL | SET_EX | SET_EXAT | SET_PX)) && hasNext) {
      flags |= SET_PXAT
      expire = argv[++j]!
    } else {
      return SYNTAX_ERROR
    }
  }
  return { flags, expire }
}

/** An absolute expiry: `at` for storage and `text` (exact, even beyond 2^53) for propagation. */
export interface AbsoluteExpiry {
  readonly at: number
  readonly text: string
}

/** getExpireMillisecondsOrReply: validates and makes the expiry absolute. */
export function expireMilliseconds(ctx: CommandContext, arg: ByteString, flags: number, commandName: string): AbsoluteExpiry | RespError {
  const parsed = parseInt64(arg)
  if (parsed === null) return NOT_AN_INTEGER
  let value = toBigInt(parsed)
  const seconds = (flags & (SET_EX | SET_EXAT)) !== 0
  if (value <= 0n || (seconds && value > LLONG_MAX / 1000n)) return invalidExpireTime(commandName)
  if (seconds) value *= 1000n
  if (flags & (SET_EX | SET_PX)) value += BigInt(ctx.now)
  // C's signed addition would wrap past LLONG_MAX into a negative number: Redis refuses it as <= 0.
  if (value <= 0n || value > LLONG_MAX) return invalidExpireTime(commandName)
  return { at: Number(value), text: value.toString() }
}

/** setGenericCommand. `okReply`/`abortReply` are SETNX's 1/0; SET answers OK/nil. */
export function setGeneric(
  ctx: CommandContext,
  flags: number,
  key: ByteString,
  value: ByteString,
  expireArg: ByteString | null,
  commandName: string,
  okReply: RespValue = OK,
  abortReply: RespValue = NIL,
): RespValue {
  let expiry: AbsoluteExpiry | null = null
  if (expireArg !== null) {
    const computed = expireMilliseconds(ctx, expireArg, flags, commandName)
    if ('kind' in computed) return computed
    expiry = computed
  }
  let getReply: RespValue | null = null
  if (flags & SET_GET) {
    const old = ctx.lookup(key)
    if (old !== undefined && old.type !== 'string') return WRONGTYPE
    getReply = old === undefined ? NIL : bulk(old.value)
  }
  const existing = ctx.lookup(key)
  if (((flags & SET_NX) && existing !== undefined) || ((flags & SET_XX) && existing === undefined)) {
    return getReply ?? abortReply
  }
  const entry = ctx.setString(key, existing, value, (flags & SET_KEEPTTL) !== 0)
  ctx.dirty++
  if (expiry !== null) {
    ctx.setExpire(key, entry, expiry.at)
    ctx.rewrite(['SET', key, value, 'PXAT', expiry.text])
  } else if (flags & SET_GET) {
    const argv = ctx.argv
    const kept: ByteString[] = []
    for (let j = 0; j < argv.length; j++) {
      if (j >= 3 && optionIs(argv[j]!, 'get')) continue
      kept.push(argv[j]!)
    }
    ctx.rewrite(kept)
  }
  return getReply ?? okReply
}
