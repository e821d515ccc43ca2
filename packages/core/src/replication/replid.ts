// Replication IDs (REDIS.md §4): 40 lowercase hex characters naming one history of the stream.
// The core draws no randomness: the shell passes 20 random bytes (crypto.getRandomValues).

/** A replication ID: exactly 40 lowercase hex characters. */
export type ReplId = string

/**
 * Redis's "no ID": replid2 when unset. Never a master's replid: an all-zero request matches a
 * cleared replid2 and is refused by the offset test (REDIS.md §3.3).
 */
export const NO_REPLID: ReplId = '0'.repeat(40)

const REPLID = /^[0-9a-f]{40}$/
const REPLID_ANY_CASE = /^[0-9a-fA-F]{40}$/

/** True when `s` is 40 lowercase hex characters. */
export function isReplId(s: string): s is ReplId {
  return REPLID.test(s)
}

/**
 * Reads a replication ID from the wire or from storage: 40 hex characters in either case (Redis
 * compares IDs case-insensitively), returned lowercase; null for anything else.
 */
export function parseReplId(s: string): ReplId | null {
  return REPLID_ANY_CASE.test(s) ? s.toLowerCase() : null
}

/** Case-insensitive ID comparison, as Redis's strcasecmp in masterTryPartialResynchronization. */
export function sameReplId(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase()
}

/**
 * Makes a replication ID from 20 random bytes (as Redis's getRandomHexChars). Never returns
 * NO_REPLID: twenty zero bytes (a broken random source) become ...0001.
 */
export function replIdFromRandomBytes(bytes: Uint8Array): ReplId {
  if (bytes.length !== 20) {
    throw new RangeError(`replIdFromRandomBytes needs exactly 20 random bytes, got ${bytes.length}.`)
  }
  let out = ''
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out === NO_REPLID ? '0'.repeat(39) + '1' : out
}
