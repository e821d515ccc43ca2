// x87 80-bit `long double` arithmetic, as INCRBYFLOAT and HINCRBYFLOAT compute on Linux x86-64:
// both operands are parsed with strtold (64-bit significand), added with one rounding, and the sum
// is printed with "%.17Lf" and trimmed (ld2string in LD_STR_HUMAN mode, util.c). The value is kept
// as a string between calls, so every step is parse → add → format, and matching Redis byte for byte
// needs all three done exactly. Values are exact dyadic rationals in bigint; nothing here uses host
// floating point.
import { binaryToRational, roundRational, X87_EXTENDED } from './binary-float.ts'
import { convertScanned, scanFloat } from './strtod.ts'
import { isCSpace } from './integer.ts'
import type { ByteString } from '../bytes.ts'

export type LongDouble =
  | { readonly kind: 'finite'; readonly negative: boolean; readonly mantissa: bigint; readonly exponent: number }
  | { readonly kind: 'inf'; readonly negative: boolean }
  | { readonly kind: 'nan' }

/** Redis's MAX_LONG_DOUBLE_CHARS: longer strings are refused before parsing, results longer fail. */
export const MAX_LONG_DOUBLE_CHARS = 5 * 1024

// 1.18973149535723176502e+4932 is the largest x87 value.
const MAX_DECIMAL_MAGNITUDE = 4932

/**
 * Redis's string2ld (util.c): strtold on the whole string; refuses an empty or over-long string, a
 * leading space, trailing bytes (a NUL included), overflow, underflow to zero, and NaN. Infinity is
 * accepted. Returns null where Redis replies "value is not a valid float".
 */
export function parseLongDouble(s: ByteString): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return null
  if (isCSpace(s.charCodeAt(0))) return null
  const scanned = scanFloat(s)
  if (scanned.end !== s.length || scanned.end === 0) return null
  if (scanned.kind === 'nan') return null
  if (scanned.kind === 'inf') return { kind: 'inf', negative: scanned.negative }
  const converted = convertScanned(scanned, X87_EXTENDED, MAX_DECIMAL_MAGNITUDE)
  if (converted === 'overflow' || converted === 'underflow') return null
  return { kind: 'finite', negative: scanned.negative, mantissa: converted.mantissa, exponent: converted.exponent }
}

/** A long double holding an integer (a hash field stored as an integer is read this way). */
export function longDoubleFromInteger(value: number | bigint): LongDouble {
  const big = BigInt(value)
  const negative = big < 0n
  const magnitude = negative ? -big : big
  if (magnitude === 0n) return { kind: 'finite', negative, mantissa: 0n, exponent: 0 }
  // Integers up to 2^63 fit in 64 bits of significand, so no rounding happens.
  const rounded = roundRational(magnitude, 1n, X87_EXTENDED)!
  return { kind: 'finite', negative, mantissa: rounded.mantissa, exponent: rounded.exponent }
}

export function isFiniteLongDouble(value: LongDouble): value is Extract<LongDouble, { kind: 'finite' }> {
  return value.kind === 'finite'
}

/** `a + b` rounded to nearest-even in the x87 extended format. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' }
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (a.kind === 'inf' && b.kind === 'inf') return a.negative === b.negative ? a : { kind: 'nan' }
    return a.kind === 'inf' ? a : b
  }
  if (a.mantissa === 0n && b.mantissa === 0n) {
    return { kind: 'finite', negative: a.negative && b.negative, mantissa: 0n, exponent: 0 }
  }
  if (a.mantissa === 0n) return b
  if (b.mantissa === 0n) return a
  const exponent = Math.min(a.exponent, b.exponent)
  const sa = (a.mantissa << BigInt(a.exponent - exponent)) * (a.negative ? -1n : 1n)
  const sb = (b.mantissa << BigInt(b.exponent - exponent)) * (b.negative ? -1n : 1n)
  const sum = sa + sb
  // An exact zero sum is +0 when rounding to nearest.
  if (sum === 0n) return { kind: 'finite', negative: false, mantissa: 0n, exponent: 0 }
  const negative = sum < 0n
  const magnitude = negative ? -sum : sum
  const rounded = exponent >= 0
    ? roundRational(magnitude << BigInt(exponent), 1n, X87_EXTENDED)
    : roundRational(magnitude, 1n << BigInt(-exponent), X87_EXTENDED)
  if (rounded === null) return { kind: 'inf', negative }
  return { kind: 'finite', negative, mantissa: rounded.mantissa, exponent: rounded.exponent }
}

const FRACTION_DIGITS = 17
const FRACTION_SCALE = 10n ** BigInt(FRACTION_DIGITS)

/**
 * Redis's ld2string(..., LD_STR_HUMAN): "%.17Lf", then trailing zeros and a trailing point removed,
 * and "-0" printed as "0". Returns null when the text would not fit MAX_LONG_DOUBLE_CHARS (Redis's
 * ld2string fails there). Only finite values are passed here (callers refuse NaN and infinity).
 */
export function formatLongDoubleHuman(value: LongDouble): string | null {
  if (value.kind !== 'finite') return null
  const { num, den } = binaryToRational(value)
  const scaled = num * FRACTION_SCALE
  let q = scaled / den
  const r = scaled % den
  const twice = r * 2n
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n
  const integerPart = (q / FRACTION_SCALE).toString()
  let fraction = (q % FRACTION_SCALE).toString().padStart(FRACTION_DIGITS, '0')
  const fixedLength = (value.negative ? 1 : 0) + integerPart.length + 1 + FRACTION_DIGITS
  if (fixedLength + 1 > MAX_LONG_DOUBLE_CHARS) return null
  let end = fraction.length
  while (end > 0 && fraction.charCodeAt(end - 1) === 48) end--
  fraction = fraction.slice(0, end)
  let text = integerPart + (fraction.length > 0 ? '.' + fraction : '')
  if (value.negative) text = '-' + text
  if (text === '-0') text = '0'
  return text
}
