// Exact rounding of a positive rational to a binary floating-point format, round-half-to-even, with
// subnormals and overflow. Shared by the strtod/strtold emulations (strtod.ts, long-double.ts): the
// C library rounds decimal and hexadecimal input exactly, and matching Redis byte for byte means
// rounding exactly too. Only bigint arithmetic; no host floating point is involved.

export interface BinaryFormat {
  /** Significand bits, including the leading one: 53 for double, 64 for x87 long double. */
  readonly precision: number
  /** Exponent of the least significant bit of the smallest subnormal: -1074, -16445. */
  readonly minLsbExponent: number
  /** Exponent of the least significant bit of the largest finite value: 971, 16320. */
  readonly maxLsbExponent: number
}

export const DOUBLE: BinaryFormat = Object.freeze({ precision: 53, minLsbExponent: -1074, maxLsbExponent: 971 })
export const X87_EXTENDED: BinaryFormat = Object.freeze({ precision: 64, minLsbExponent: -16445, maxLsbExponent: 16320 })

/** A finite binary value `mantissa * 2^exponent`; `mantissa` has at most `precision` bits. */
export interface BinaryValue {
  readonly mantissa: bigint
  readonly exponent: number
}

export function bitLength(n: bigint): number {
  if (n === 0n) return 0
  // toString(16) is linear and exact; the top hex digit gives the remaining bits.
  const hex = n.toString(16)
  const top = parseInt(hex[0]!, 16)
  return (hex.length - 1) * 4 + (32 - Math.clz32(top))
}

/**
 * Rounds `num / den` (both > 0) to `format`. Returns null on overflow (the C library then returns
 * ±HUGE_VAL with ERANGE). A result of mantissa 0 is an underflow to zero.
 */
export function roundRational(num: bigint, den: bigint, format: BinaryFormat): BinaryValue | null {
  const { precision, minLsbExponent } = format
  let exponent = bitLength(num) - bitLength(den) - precision
  if (exponent < minLsbExponent) exponent = minLsbExponent
  for (;;) {
    let q: bigint
    let r: bigint
    let d: bigint
    if (exponent >= 0) {
      d = den << BigInt(exponent)
      q = num / d
      r = num % d
    } else {
      const n = num << BigInt(-exponent)
      d = den
      q = n / d
      r = n % d
    }
    const bits = bitLength(q)
    if (bits > precision) {
      exponent += bits - precision
      continue
    }
    if (bits < precision && exponent > minLsbExponent) {
      exponent = Math.max(minLsbExponent, exponent - (precision - bits))
      continue
    }
    const twice = r * 2n
    if (twice > d || (twice === d && (q & 1n) === 1n)) q += 1n
    if (bitLength(q) > precision) {
      q >>= 1n
      exponent += 1
    }
    if (exponent > format.maxLsbExponent) return null
    return { mantissa: q, exponent }
  }
}

/** The exact value of a finite binary value as a rational `num / den` with den a power of two. */
export function binaryToRational(value: BinaryValue): { num: bigint; den: bigint } {
  return value.exponent >= 0
    ? { num: value.mantissa << BigInt(value.exponent), den: 1n }
    : { num: value.mantissa, den: 1n << BigInt(-value.exponent) }
}
