// Limits of the RESP decoders. Each is an option with a default; docs/operations.md lists them.

export interface RespLimits {
  /**
   * Largest bulk string accepted, in bytes. Redis's `proto-max-bulk-len` is the same limit.
   * Raise it only if values this large are intended.
   * @default 536870912 (512 MiB)
   */
  readonly maxBulkBytes: number
  /**
   * Most elements in one array (one command's arguments, or one reply array).
   * @default 16777216
   */
  readonly maxArrayLength: number
  /**
   * Deepest nesting of arrays inside a reply. Commands are never nested.
   * @default 32
   */
  readonly maxArrayDepth: number
  /**
   * Longest line (an inline command, or a `*`/`$`/`+`/`-`/`:` header) without its CRLF. Redis's
   * PROTO_INLINE_MAX_SIZE is the same limit.
   * @default 65536
   */
  readonly maxInlineBytes: number
}

export const RESP_LIMIT_DEFAULTS: RespLimits = Object.freeze({
  maxBulkBytes: 512 * 1024 * 1024,
  maxArrayLength: 16 * 1024 * 1024,
  maxArrayDepth: 32,
  maxInlineBytes: 64 * 1024,
})

export function resolveRespLimits(limits: Partial<RespLimits> | undefined): RespLimits {
  const merged = { ...RESP_LIMIT_DEFAULTS, ...limits }
  // for-in rather than Object.entries (an array per field): a replica resolves limits per frame.
  for (const name in merged) {
    const value = merged[name as keyof RespLimits]
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`RESP limit ${name} must be a positive integer, got ${String(value)}.`)
    }
  }
  return merged
}
