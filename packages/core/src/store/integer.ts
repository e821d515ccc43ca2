// Integer arguments and values, parsed exactly as Redis parses them.
//
// Redis reads integers with string2ll (util.c): no leading spaces, no '+', no leading zeros, no "-0",
// at most 20 bytes, and the value must fit a signed 64-bit integer. JS numbers are exact only up to
// 2^53, so values beyond that come back as bigint and arithmetic on them is done in bigint; the common
// small values stay plain numbers.
import type { ByteString } from '../bytes.ts'

export const LLONG_MAX = 9223372036854775807n
export const LLONG_MIN = -9223372036854775808n

/** A signed 64-bit integer: a number when it is a safe integer, a bigint otherwise. */
export type Int64 = number | bigint

/**
 * Redis's string2ll: the whole string must be a canonical decimal integer in the signed 64-bit range.
 * Returns null when it is not.
 */
export function parseInt64(s: ByteString): Int64 | null {
  const length = s.length
  if (length === 0 || length >= 21) return null
  let i = 0
  let negative = false
  let c = s.charCodeAt(0)
  if (length === 1 && c === 48) return 0
  if (c === 45 /* - */) {
    negative = true
    i = 1
    if (length === 1) return null
    c = s.charCodeAt(1)
  }
  if (c < 49 || c > 57) return null
  if (length - i <= 15) {
    let value = 0
    for (; i < length; i++) {
      const d = s.charCodeAt(i) - 48
      if (d < 0 || d > 9) return null
      value = value * 10 + d
    }
    return negative ? -value : value
  }
  for (let j = i; j < length; j++) {
    const d = s.charCodeAt(j)
    if (d < 48 || d > 57) return null
  }
  const value = BigInt(s)
  if (value > LLONG_MAX || value < LLONG_MIN) return null
  return normalizeInt64(value)
}

/** A bigint in the safe range becomes a number, so equal values have one representation. */
export function normalizeInt64(value: bigint): Int64 {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
}

export function toBigInt(value: Int64): bigint {
  return typeof value === 'bigint' ? value : BigInt(value)
}

/**
 * `a + b` when it fits a signed 64-bit integer, or null on overflow (Redis refuses it with
 * "increment or decrement would overflow").
 */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b
    if (Number.isSafeInteger(sum)) return sum
  }
  const sum = toBigInt(a) + toBigInt(b)
  if (sum > LLONG_MAX || sum < LLONG_MIN) return null
  return normalizeInt64(sum)
}

/** Clamps to the double range for comparisons with lengths and indexes (exactness is irrelevant there). */
export function int64ToNumber(value: Int64): number {
  return typeof value === 'bigint' ? Number(value) : value
}

/** Redis's ll2string. */
export function formatInt64(value: Int64): string {
  return String(value)
}

/**
 * Redis's SCAN cursor parser (parseScanCursorOrReply, db.c): strtoul(3) on the C string, refusing a
 * leading space, trailing garbage and values beyond 2^64-1. A sign is allowed and a minus negates
 * modulo 2^64; an empty string is cursor 0. Returns null where Redis replies "invalid cursor".
 */
export function parseScanCursor(arg: ByteString): bigint | null {
  const s = cString(arg)
  const length = s.length
  if (length === 0) return 0n
  if (isCSpace(s.charCodeAt(0))) return null
  let i = 0
  let negative = false
  if (s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45) {
    negative = s.charCodeAt(0) === 45
    i++
  }
  const digitsStart = i
  while (i < length) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) break
    i++
  }
  // No digits: strtoul consumed nothing, so the end pointer is at a non-NUL byte.
  if (i === digitsStart || i !== length) return null
  const value = BigInt(s.slice(digitsStart, i))
  if (value > 0xffffffffffffffffn) return null
  return negative ? (0x10000000000000000n - value) % 0x10000000000000000n : value
}

/** The part of `s` a C function sees: everything before the first NUL byte. */
export function cString(s: ByteString): ByteString {
  const nul = s.indexOf('\0')
  return nul === -1 ? s : s.slice(0, nul)
}

/** isspace() in the C locale. */
export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13)
}
