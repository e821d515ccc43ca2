// Helpers for the dataset's unit tests: a dataset with a session and a settable clock, and replies
// turned into plain JS values so expectations read like redis-cli output.
import type { ByteString } from '../bytes.ts'
import type { RespValue } from '../resp/value.ts'
import type { Effect } from '../values.ts'
import { Dataset, type ExecResult } from './dataset.ts'
import type { DatasetOptions } from './options.ts'
import type { Session } from './session.ts'

/** A reply as plain data: strings, numbers, null, arrays; `{ ok }`-style objects for status/error. */
export type Reply = string | number | bigint | null | Reply[] | { status: string } | { error: string }

export function toReply(value: RespValue): Reply {
  switch (value.kind) {
    case 'simple': return { status: value.value }
    case 'error': return { error: value.message }
    case 'integer': return value.value
    case 'bulk': return value.value
    case 'array': return value.value === null ? null : value.value.map(toReply)
  }
}

export const status = (text: string): Reply => ({ status: text })
export const err = (text: string): Reply => ({ error: text })
export const OK_REPLY = status('OK')
export const WRONGTYPE_REPLY = err('WRONGTYPE Operation against a key holding the wrong kind of value')

export interface Harness {
  readonly ds: Dataset
  readonly session: Session
  now: number
  /** Runs a command and returns its reply. */
  run(...argv: ByteString[]): Reply
  /** Runs a command and returns everything. */
  exec(...argv: ByteString[]): ExecResult
  /** Effects of a command as [db, ...argv] arrays. */
  effects(...argv: ByteString[]): (string | number)[][]
}

export const T0 = 1_700_000_000_000

export function harness(options?: DatasetOptions): Harness {
  const ds = new Dataset(options)
  const session = ds.createSession()
  const h: Harness = {
    ds,
    session,
    now: T0,
    run: (...argv) => toReply(ds.execute(session, argv, h.now).reply),
    exec: (...argv) => ds.execute(session, argv, h.now),
    effects: (...argv) => ds.execute(session, argv, h.now).effects.map(effectRow),
  }
  return h
}

export function effectRow(effect: Effect): (string | number)[] {
  return [effect.db, ...effect.argv]
}

/** A small seeded generator (mulberry32) for fuzz tests; print the seed on failure. */
export class SeededRandom {
  #state: number
  constructor(readonly seed: number) {
    this.#state = seed >>> 0 || 1
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }
}
