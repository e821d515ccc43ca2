// Helpers shared by the replication tests (not exported from index.ts).
import { byteStringToBytes, bytesToByteString } from '../bytes.ts'

export const bytes = (s: string): Uint8Array => byteStringToBytes(s)
export const text = (b: Uint8Array): string => bytesToByteString(b)

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export function prng(seed: number): { next(): number; int(n: number): number; chance(p: number): boolean; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  }
}

/** An environment variable when running under Node, undefined elsewhere (core imports no node:*). */
export function env(name: string): string | undefined {
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name]
}

/** Seeds for a fuzz run: FUZZ_SEED=<n> runs only that one. */
export function fuzzSeeds(count: number, base: number): number[] {
  const only = env('FUZZ_SEED')
  if (only !== undefined && only !== '') return [Number(only)]
  return Array.from({ length: count }, (_, i) => base + i)
}

/** Runs `body` for a seed; a failure is re-thrown with `FUZZ_SEED=<n>` in front, to re-run it alone. */
export function withSeed(seed: number, body: () => void): void {
  try {
    body()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(`FUZZ_SEED=${seed}`)
    throw new Error(`FUZZ_SEED=${seed} (re-run alone with FUZZ_SEED=${seed}): ${message}`, { cause: error })
  }
}
