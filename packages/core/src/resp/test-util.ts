// Test helpers for codecs: feed input whole and byte by byte (node-redis does both for every case).
import { byteStringToBytes } from '../bytes.ts'

export const bytes = (s: string): Uint8Array => byteStringToBytes(s)

/** The ways a test feeds a stream into a decoder: one chunk, byte by byte, and in uneven pieces. */
export function feeds(input: Uint8Array): Array<{ readonly name: string; readonly chunks: Uint8Array[] }> {
  const byByte: Uint8Array[] = []
  for (let i = 0; i < input.length; i++) byByte.push(input.subarray(i, i + 1))
  const uneven: Uint8Array[] = []
  for (let i = 0, step = 1; i < input.length; i += step, step = (step * 3) % 11 + 1) uneven.push(input.subarray(i, i + step))
  return [
    { name: 'whole', chunks: [input] },
    { name: 'byte by byte', chunks: byByte },
    { name: 'uneven chunks', chunks: uneven },
  ]
}
