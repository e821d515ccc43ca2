// expireGenericCommand (expire.c): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX | XX | GT | LT.
//
// Redis 7.0 propagates the result as `PEXPIREAT key <absolute ms> [options as sent]` (a PEXPIREAT is
// passed through untouched), and a time already past as `DEL key` (checkAlreadyExpired: when <= now,
// on a master only). A key without a TTL counts as an infinite TTL for GT and LT.
import type { ByteString } from '../../bytes.ts'
import { ONE, ZERO, type RespValue } from '../../resp/value.ts'
import { optionIs } from '../arguments.ts'
import type { CommandContext } from '../context.ts'
import { NO_EXPIRY } from '../entry.ts'
import { LLONG_MAX, LLONG_MIN, parseInt64, toBigInt } from '../integer.ts'
import { invalidExpireTime, NOT_AN_INTEGER, unsupportedOption } from '../replies.ts'
import { error } from '../../resp/value.ts'

const EXPIRE_NX = 1
const EXPIRE_XX = 2
const EXPIRE_GT = 4
const EXPIRE_LT = 8

const NX_CONFLICT = error('ERR NX and XX, GT or LT options at the same time are not compatible')
const GT_LT_CONFLICT = error('ERR GT and LT options at the same time are not compatible')

export interface ExpireVariant {
  readonly name: string
  readonly unit: 'seconds' | 'milliseconds'
  /** Relative to now (EXPIRE, PEXPIRE) or absolute (EXPIREAT, PEXPIREAT). */
  readonly relative: boolean
}

export function expireGeneric(ctx: CommandContext, argv: readonly ByteString[], variant: ExpireVariant): RespValue {
  const key = argv[1]!
  let flags = 0
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!
    if (optionIs(opt, 'nx')) flags |= EXPIRE_NX
    else if (optionIs(opt, 'xx')) flags |= EXPIRE_XX
    else if (optionIs(opt, 'gt')) flags |= EXPIRE_GT
    else if (optionIs(opt, 'lt')) flags |= EXPIRE_LT
    else return unsupportedOption(opt)
  }
  if ((flags & EXPIRE_NX) && (flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) return NX_CONFLICT
  if ((flags & EXPIRE_GT) && (flags & EXPIRE_LT)) return GT_LT_CONFLICT

  const parsed = parseInt64(argv[2]!)
  if (parsed === null) return NOT_AN_INTEGER
  let when = toBigInt(parsed)
  if (variant.unit === 'seconds') {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) return invalidExpireTime(variant.name)
    when *= 1000n
  }
  const basetime = variant.relative ? BigInt(ctx.now) : 0n
  if (when > LLONG_MAX - basetime) return invalidExpireTime(variant.name)
  when += basetime

  const entry = ctx.lookup(key)
  if (entry === undefined) return ZERO
  const whenMs = Number(when)
  if (flags) {
    const current = entry.expireAt
    if ((flags & EXPIRE_NX) && current !== NO_EXPIRY) return ZERO
    if ((flags & EXPIRE_XX) && current === NO_EXPIRY) return ZERO
    if ((flags & EXPIRE_GT) && (current === NO_EXPIRY || whenMs <= current)) return ZERO
    if ((flags & EXPIRE_LT) && current !== NO_EXPIRY && whenMs >= current) return ZERO
  }

  // checkAlreadyExpired: only a master deletes at once; a replica stores the past time and waits
  // for its master's DEL.
  if (ctx.mode === 'master' && whenMs <= ctx.now) {
    ctx.remove(key, entry)
    ctx.dirty++
    ctx.rewrite(['DEL', key])
    return ONE
  }
  ctx.setExpire(key, entry, whenMs)
  if (variant.name !== 'pexpireat') {
    const rewritten = argv.slice()
    rewritten[0] = 'PEXPIREAT'
    if (variant.relative || variant.unit === 'seconds') rewritten[2] = when.toString()
    ctx.rewrite(rewritten)
  }
  ctx.dirty++
  return ONE
}
