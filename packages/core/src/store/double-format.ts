// Doubles printed as Redis 7.0 prints them: "%.17g" (addReplyDouble for ZSCORE, ZINCRBY, ZRANGE
// WITHSCORES; also the score text inside DEBUG DIGEST), and "inf"/"-inf" for infinities.
//
// JS has no printf. toExponential(16) yields the same 17 significant digits as glibc except in an
// exact tie, where JS rounds half up and glibc rounds half to even; ties are detected and settled
// with the exact decimal expansion (every double is a finite decimal).

const SIGNIFICANT = 17

/** The exact decimal digits of a finite positive double: value = 0.DIGITS × 10^pointPosition. */
function exactDecimal(x: number): { digits: string; pointPosition: number } {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  const hi = view.getUint32(0)
  const lo = view.getUint32(4)
  const biased = (hi >>> 20) & 0x7ff
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let exponent: number
  if (biased === 0) exponent = -1074
  else {
    mantissa |= 1n << 52n
    exponent = biased - 1075
  }
  if (exponent >= 0) {
    const digits = (mantissa << BigInt(exponent)).toString()
    return { digits, pointPosition: digits.length }
  }
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString()
  return { digits, pointPosition: digits.length + exponent }
}

/** 17 significant digits rounded half to even, and the decimal exponent of the first one. */
function significantDigits(x: number): { digits: string; exponent: number } {
  const fast = x.toExponential(SIGNIFICANT - 1)
  const wide = x.toExponential(SIGNIFICANT + 3)
  const wideMantissa = wide.slice(0, wide.indexOf('e')).replace('.', '')
  if (wideMantissa.slice(SIGNIFICANT) !== '5000') {
    const e = fast.indexOf('e')
    return { digits: fast.slice(0, e).replace('.', ''), exponent: Number(fast.slice(e + 1)) }
  }
  // Possibly an exact tie: settle it exactly.
  const { digits, pointPosition } = exactDecimal(x)
  let head = digits.slice(0, SIGNIFICANT).padEnd(SIGNIFICANT, '0')
  const rest = digits.slice(SIGNIFICANT)
  let exponent = pointPosition - 1
  const first = rest.length > 0 ? rest.charCodeAt(0) - 48 : 0
  const beyond = rest.length > 1 && /[1-9]/.test(rest.slice(1))
  const roundUp = first > 5 || (first === 5 && (beyond || (head.charCodeAt(SIGNIFICANT - 1) - 48) % 2 === 1))
  if (roundUp) {
    const bumped = (BigInt(head) + 1n).toString()
    if (bumped.length > SIGNIFICANT) {
      head = bumped.slice(0, SIGNIFICANT)
      exponent += 1
    } else head = bumped
  }
  return { digits: head, exponent }
}

/** printf("%.17g", x) for a finite double, as glibc prints it. */
export function formatG17(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  // Integers below 2^53 print exactly as JS prints them; above, JS prints the shortest round-trip digits.
  if (Number.isInteger(x) && Math.abs(x) <= 9007199254740992) return String(x)
  const negative = x < 0
  const { digits, exponent } = significantDigits(Math.abs(x))
  let end = digits.length
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--
  const trimmed = digits.slice(0, end)
  let text: string
  if (exponent < -4 || exponent >= SIGNIFICANT) {
    const mantissa = trimmed.length > 1 ? trimmed[0] + '.' + trimmed.slice(1) : trimmed
    const sign = exponent < 0 ? '-' : '+'
    const magnitude = String(Math.abs(exponent)).padStart(2, '0')
    text = `${mantissa}e${sign}${magnitude}`
  } else if (exponent >= 0) {
    const integerDigits = trimmed.slice(0, exponent + 1).padEnd(exponent + 1, '0')
    const fraction = trimmed.slice(exponent + 1)
    text = fraction.length > 0 ? `${integerDigits}.${fraction}` : integerDigits
  } else {
    text = `0.${'0'.repeat(-exponent - 1)}${trimmed}`
  }
  return negative ? '-' + text : text
}

/** A score as addReplyDouble sends it in RESP2 (networking.c): "inf", "-inf", or "%.17g". */
export function formatScore(x: number): string {
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  return formatG17(x)
}
