// The index arithmetic LRANGE, LTRIM and ZRANGE share, and LINDEX and LSET (negative indexes count
// from the end).
import type { Int64 } from '../integer.ts'
import { int64ToNumber } from '../integer.ts'

/** [start, end] inclusive within [0, length), or null for an empty range. */
export function normalizeRange(startArg: Int64, endArg: Int64, length: number): [number, number] | null {
  let start = int64ToNumber(startArg)
  let end = int64ToNumber(endArg)
  if (start < 0) start = length + start
  if (end < 0) end = length + end
  if (start < 0) start = 0
  if (start > end || start >= length) return null
  if (end >= length) end = length - 1
  return [start, end]
}

/** The position `indexArg` names in [0, length), or null when it is out of range. */
export function normalizeIndex(indexArg: Int64, length: number): number | null {
  let index = int64ToNumber(indexArg)
  if (index < 0) index += length
  return index < 0 || index >= length ? null : index
}
