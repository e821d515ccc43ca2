// Argument parsing shared by commands, with Redis's exact acceptance rules.
import type { ByteString } from '../bytes.ts'
import { isCSpace, parseInt64, type Int64 } from './integer.ts'
import { strtod } from './strtod.ts'

/**
 * strcasecmp(arg, option) == 0 as Redis's option parsers do it: ASCII case-insensitive, on the C
 * string (an argument "nx\0junk" reads as "nx"). `option` must be lowercase ASCII.
 */
export function optionIs(arg: ByteString, option: string): boolean {
  const n = option.length
  if (arg.length < n) return false
  for (let i = 0; i < n; i++) {
    let c = arg.charCodeAt(i)
    if (c >= 65 && c <= 90) c += 32
    if (c !== option.charCodeAt(i)) return false
  }
  return arg.length === n || arg.charCodeAt(n) === 0
}

/** getLongLongFromObject / getLongFromObject (long is 64-bit on the platforms Redis ships for). */
export function parseLong(arg: ByteString): Int64 | null {
  return parseInt64(arg)
}

/** getIntFromObject: a long long that also fits a C int. */
export function parseInt32(arg: ByteString): number | null {
  const value = parseInt64(arg)
  if (value === null || typeof value === 'bigint' || value > 2147483647 || value < -2147483648) return null
  return value
}

/**
 * getDoubleFromObject (object.c): strtod over the whole string, refusing an empty string, a leading
 * space, anything left over (a NUL included), overflow, underflow to zero, and NaN. Infinity passes.
 */
export function parseDouble(arg: ByteString): number | null {
  if (arg.length === 0 || isCSpace(arg.charCodeAt(0))) return null
  // Fast path for plain integers, the common case for scores.
  if (arg.length < 16) {
    const integer = parseInt64(arg)
    if (integer !== null) return integer as number
  }
  const result = strtod(arg)
  if (result.end !== arg.length || result.end === 0) return null
  if (result.erange && (!Number.isFinite(result.value) || result.value === 0)) return null
  if (Number.isNaN(result.value)) return null
  return result.value
}
