// The shared half of the differential tests against a real redis-server 7.0 (Debian's):
// store-differential.test.ts (the in-process Dataset) and master-differential.test.ts (a Replicast
// master over TCP). Both send the same seeded random command sequences (every command of DESIGN §2,
// wrong types, bad arguments, expiries, MULTI/EXEC) and compare with the code here:
//
//   describeFuzz, FuzzRun        one test per seed, and one seed's op loop and reply checks
//   connectSide, awaitBarrier    a server under test over TCP: clients, its replication stream
//   Rng, generate, nextOp        what to send (seeded; FUZZ_SEED reruns one seed, FUZZ_OPS sets the length)
//   plain, sameReply             replies, with the normalizations below
//   StreamGroup, compareStream   the replication streams, command by command, per op
//   digestDifferences            which keys differ when DEBUG DIGEST does
//
// Time: the two sides read their own clocks. To stay deterministic, expiries are either far in the
// future or already past, and the few short TTLs (1-4 ms) are followed by a pause long enough for
// both sides to agree they have passed (pauseByClock). Active expiry is switched off on both
// (DEBUG SET-ACTIVE-EXPIRE 0) so that only lazy expiry, which both sides do at the same commands,
// deletes keys. Comparisons tolerate the clock difference where it shows: TTL ±1, PTTL ±1000,
// absolute times in the stream ±2000 ms. Replies whose order is Redis's hash order (KEYS, SMEMBERS,
// HGETALL, HKEYS, HVALS, SCAN, CONFIG GET) are compared sorted, and so are the DELs SCAN's lazy
// expiry emits.
import { describe, expect, test } from 'vitest'
import type { ByteString } from '../../packages/core/src/bytes.ts'
import type { RespValue } from '../../packages/core/src/resp/value.ts'
import { SeededRandom } from '../../packages/core/src/store/test-util.ts'
import type { KeyRecord } from '../../packages/core/src/values.ts'
import { ReplicationStream, RespClient } from './resp-client.ts'

// ---- runs ---------------------------------------------------------------------------------------

/** The seeds to run: FUZZ_SEED alone when it is set, else `defaults`. */
export function fuzzSeeds(defaults: readonly number[]): number[] {
  return process.env.FUZZ_SEED !== undefined ? [Number(process.env.FUZZ_SEED)] : [...defaults]
}

/** Commands per seed: FUZZ_OPS when set, else `defaultOps`. */
export function fuzzOps(defaultOps: number): number {
  return Number(process.env.FUZZ_OPS ?? defaultOps)
}

/** Runs one seed; a failure first prints `FUZZ_SEED=<seed>` so that it can be rerun alone. */
export async function runWithSeed(seed: number, run: (seed: number) => Promise<void>): Promise<void> {
  try {
    await run(seed)
  } catch (error) {
    console.error(`FUZZ_SEED=${seed}`)
    throw error
  }
}

/**
 * Waits until `ms` have passed by the clock, not by the timer: a timer can fire early when the event
 * loop's cached time is stale, and the next command must see a short TTL as passed on both sides.
 */
export async function pauseByClock(ms: number): Promise<void> {
  const until = Date.now() + ms
  while (Date.now() <= until) await new Promise((resolve) => setTimeout(resolve, 1))
}

// ---- seeded randomness -----------------------------------------------------------------------

/**
 * SeededRandom with the seed first passed through a multiplicative hash, as these runs have always
 * done it: a FUZZ_SEED keeps naming the same command sequence. (`seed` holds the hashed value.)
 */
export class Rng extends SeededRandom {
  constructor(seed: number) {
    super((seed * 2654435761) >>> 0)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
}

// ---- what to send ----------------------------------------------------------------------------

const KEYS: readonly ByteString[] = [
  'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'str', 'num', 'flt', 'lst', 'hsh', 'st', 'zs', 'zbig',
  '__proto__', 'constructor', 'bin\x00\xff', '\r\n', 'é', '',
]
/** Keys the string commands mostly use, so that the typed keys keep their types most of the time. */
const STRING_KEYS: readonly ByteString[] = KEYS.filter((k) => !['lst', 'hsh', 'st', 'zs', 'zbig'].includes(k))
const FIELDS: readonly ByteString[] = ['f0', 'f1', 'f2', 'f3', 'n', 'x', '__proto__', '\x00', 'ñ']
const MEMBERS: readonly ByteString[] = ['a', 'b', 'c', 'd', 'e', 'aa', 'ab', 'B', '', '\x00', '\xff', 'm'.repeat(70)]
const INTEGERS: readonly ByteString[] = ['0', '1', '-1', '7', '42', '-17', '100', '9223372036854775807', '-9223372036854775808', '9223372036854775806', '1000000', '01', '+1', ' 1', '-0', '1.5', 'abc', '']
const FLOATS: readonly ByteString[] = ['0.1', '0.2', '1.5', '-2.25', '3', '1e10', '1e-5', '-0', '0', '1e308', '3.0e3', '0x10', 'inf', '-inf', 'nan', 'abc', '1e5000', '5e-4940', ' 1', '1 ', '', '1.0000000000000000001', '12345678901234567890']
const SCORES: readonly ByteString[] = ['0', '1', '2', '-1', '1.5', '0.1', '-0', '3', '10', '100', 'inf', '-inf', '+inf', '1e300', '1e-5', '123456789012345.5', 'nan', 'x', '1\x00x', '']
const SCORE_BOUNDS: readonly ByteString[] = ['-inf', '+inf', 'inf', '0', '1', '(1', '2', '(2', '10', '(10', '-1', '1.5', '(1.5', 'abc', '', ' 1', '(', '1e400']
const LEX_BOUNDS: readonly ByteString[] = ['-', '+', '[a', '(a', '[b', '(c', '[', '(', 'a', '[aa', '(m']
const INDEXES: readonly ByteString[] = ['0', '1', '2', '-1', '-2', '3', '-3', '5', '-100', '100', '9223372036854775807', '-9223372036854775808', 'x']
const PATTERNS: readonly ByteString[] = ['*', 'k*', '*1', 'k?', '[a-k]*', '[^k]*', 'k[0-3]', '\\*', 'nomatch', '*s*', 'h*h', '[']
const TYPES: readonly ByteString[] = ['string', 'list', 'set', 'zset', 'hash', 'STRING', 'none', 'bogus']

function randomBytes(rng: Rng): ByteString {
  const length = rng.int(0, 12)
  let out = ''
  for (let i = 0; i < length; i++) {
    out += rng.chance(0.3) ? rng.pick(['\x00', '\r', '\n', '\xff', '\x80', ' ', '"']) : String.fromCharCode(rng.int(0, 255))
  }
  return out
}

function value(rng: Rng): ByteString {
  const r = rng.next()
  if (r < 0.35) return rng.pick(['v', 'hello', 'x', '', 'value with spaces', '0', '12'])
  if (r < 0.6) return rng.pick(INTEGERS)
  if (r < 0.75) return rng.pick(FLOATS)
  if (r < 0.95) return randomBytes(rng)
  return 'L'.repeat(rng.int(100, 3000))
}

export interface Op {
  readonly argv: ByteString[]
  /** Wait this long after the reply (short TTLs: let both sides see them pass). */
  readonly pauseMs?: number
}

function randomCase(rng: Rng, name: string): string {
  const r = rng.next()
  if (r < 0.6) return name
  if (r < 0.9) return name.toUpperCase()
  return name.replace(/./g, (c) => (rng.chance(0.5) ? c.toUpperCase() : c))
}

function farSeconds(rng: Rng): string {
  return String(rng.int(1000, 1_000_000))
}

function farMs(rng: Rng): string {
  return String(rng.int(1000, 1_000_000) * 1000)
}

function expireOptions(rng: Rng): string[] {
  if (rng.chance(0.5)) return []
  if (rng.chance(0.1)) return [rng.pick(['nx xx', 'gt lt', 'nx gt', 'foo', 'NX\x00x'])].flatMap((s) => s.split(' '))
  return [rng.pick(['nx', 'xx', 'gt', 'lt', 'NX', 'Gt'])].concat(rng.chance(0.15) ? [rng.pick(['xx', 'gt', 'lt'])] : [])
}

export interface GenerateOptions {
  /**
   * Also send the server commands of DESIGN §2 whose replies do not depend on the server (WAIT,
   * CONFIG GET of fixed settings). Off, the sequence is exactly the dataset test's (same seeds, same
   * commands): the extra draw happens only when it is on.
   */
  readonly serverCommands?: boolean
}

export function generate(rng: Rng, now: number, options: GenerateOptions = {}): Op {
  const key = (): ByteString => rng.pick(KEYS)
  if (options.serverCommands === true && rng.chance(0.02)) return serverCommand(rng)
  const r = rng.next()
  const nowSec = Math.floor(now / 1000)
  const cmd = (name: string, ...args: ByteString[]): Op => ({ argv: [randomCase(rng, name), ...args] })
  // strings
  if (r < 0.2) {
    const k = rng.chance(0.85) ? rng.pick(STRING_KEYS) : key()
    switch (rng.int(0, 19)) {
      case 0: return cmd('set', k, value(rng))
      case 1: {
        const opts: string[] = []
        if (rng.chance(0.4)) opts.push(rng.pick(['nx', 'xx', 'NX']))
        if (rng.chance(0.3)) opts.push('get')
        const e = rng.int(0, 9)
        if (e === 0) opts.push('ex', farSeconds(rng))
        else if (e === 1) opts.push('px', farMs(rng))
        else if (e === 2) opts.push('exat', String(nowSec + rng.int(1000, 100000)))
        else if (e === 3) opts.push('pxat', String(now - rng.int(1000, 1_000_000)))
        else if (e === 4) opts.push('exat', String(rng.int(1, nowSec - 1000)))
        else if (e === 5) opts.push('keepttl')
        else if (e === 6) opts.push(rng.pick(['ex', 'px']), rng.pick(['0', '-1', 'abc', '9223372036854775807', '9223372036854775']))
        else if (e === 7) opts.push(rng.pick(['ex 10 px 10', 'keepttl ex 10', 'nx xx', 'ex', 'foo', 'get get', 'exat 1 keepttl']))
        if (rng.chance(0.2)) opts.reverse()
        return cmd('set', k, value(rng), ...opts.flatMap((o) => o.split(' ')))
      }
      case 2: case 3: return cmd('get', k)
      case 4: return cmd('mget', ...Array.from({ length: rng.int(1, 4) }, key))
      case 5: return cmd('mset', ...Array.from({ length: rng.int(1, 3) }, () => [key(), value(rng)]).flat(), ...(rng.chance(0.05) ? ['odd'] : []))
      case 6: return cmd(rng.pick(['incr', 'decr']), rng.chance(0.5) ? 'num' : k)
      case 7: return cmd(rng.pick(['incrby', 'decrby']), rng.chance(0.5) ? 'num' : k, rng.pick(INTEGERS))
      case 8: return cmd('incrbyfloat', rng.chance(0.6) ? 'flt' : k, rng.pick(FLOATS))
      case 9: return cmd('append', k, value(rng))
      case 10: return cmd('strlen', k)
      case 11: return cmd('getdel', k)
      case 12: return cmd('getset', k, value(rng))
      case 13: return cmd('setnx', k, value(rng))
      case 14: return cmd('setex', k, rng.pick([farSeconds(rng), farSeconds(rng), '0', '-5', 'x']), value(rng))
      case 15: return cmd('psetex', k, rng.pick([farMs(rng), '0', 'x']), value(rng))
      case 16: return { argv: [randomCase(rng, 'set'), k, value(rng), 'px', String(rng.int(1, 3))], pauseMs: 6 }
      case 17: return { argv: [randomCase(rng, 'psetex'), k, String(rng.int(1, 3)), value(rng)], pauseMs: 6 }
      case 18: return cmd('set', 'num', rng.pick(INTEGERS))
      default: return cmd('set', 'flt', rng.pick(FLOATS))
    }
  }
  // keys
  if (r < 0.4) {
    const k = key()
    switch (rng.int(0, 22)) {
      case 0: return cmd(rng.pick(['del', 'unlink']), ...Array.from({ length: rng.int(1, 3) }, key))
      case 1: return cmd('exists', ...Array.from({ length: rng.int(1, 3) }, key))
      case 2: return cmd('type', k)
      case 3: return cmd('expire', k, farSeconds(rng), ...expireOptions(rng))
      case 4: return cmd('pexpire', k, farMs(rng), ...expireOptions(rng))
      case 5: return cmd('expireat', k, rng.chance(0.7) ? String(nowSec + rng.int(1000, 1_000_000)) : String(nowSec - rng.int(1000, 100000)), ...expireOptions(rng))
      case 6: return cmd('pexpireat', k, rng.chance(0.7) ? String(now + rng.int(1000, 1_000_000) * 1000) : String(rng.int(0, now - 1_000_000)), ...expireOptions(rng))
      case 7: return cmd(rng.pick(['expire', 'pexpire']), k, rng.pick(['-1', '-100', '0', 'abc', '9223372036854775807', '9223372036854770', '']), ...expireOptions(rng))
      // At least 2 ms: Redis's PEXPIRE reads its clock twice (the base time, then checkAlreadyExpired),
      // and turns `PEXPIRE k 1` into `DEL k` when the millisecond ticks in between.
      case 8: return { argv: [randomCase(rng, 'pexpire'), k, String(rng.int(1, 3) + 1)], pauseMs: 6 }
      case 9: return cmd('persist', k)
      case 10: case 11: return cmd(rng.pick(['ttl', 'pttl']), k)
      case 12: return cmd('rename', k, rng.chance(0.2) ? k : key())
      case 13: return cmd('keys', rng.pick(PATTERNS))
      case 14: {
        const args = ['0', 'count', '10000']
        if (rng.chance(0.4)) args.push('match', rng.pick(PATTERNS))
        if (rng.chance(0.3)) args.push('type', rng.pick(TYPES))
        return cmd('scan', ...args)
      }
      case 15: return cmd('scan', ...rng.pick([['x'], [' 0'], ['0', 'count', '0'], ['0', 'count', 'x'], ['0', 'match'], ['0', 'foo', 'bar'], ['18446744073709551616']]))
      case 16: return cmd('dbsize')
      case 17: return rng.chance(0.15) ? cmd('flushdb', ...rng.pick([[], ['async'], ['SYNC'], ['foo']])) : cmd('dbsize')
      case 18: return rng.chance(0.05) ? cmd('flushall', ...rng.pick([[], ['async']])) : cmd('exists', k)
      case 19: return cmd('select', rng.pick(['0', '0', '1', '2', '3', '16', '-1', 'x']))
      case 20: return cmd('ping', ...rng.pick([[], ['hi'], ['a', 'b']]))
      case 21: return cmd('echo', value(rng))
      default: return { argv: ['SET', k, value(rng), 'PXAT', String(now - rng.int(1, 100000))] }
    }
  }
  // hashes
  if (r < 0.55) {
    const k = rng.chance(0.6) ? 'hsh' : key()
    const f = (): ByteString => rng.pick(FIELDS)
    switch (rng.int(0, 14)) {
      case 0: case 1: return cmd(rng.pick(['hset', 'hmset']), k, ...Array.from({ length: rng.int(1, 3) }, () => [f(), value(rng)]).flat(), ...(rng.chance(0.05) ? ['odd'] : []))
      case 2: return cmd('hget', k, f())
      case 3: return cmd('hmget', k, ...Array.from({ length: rng.int(1, 3) }, f))
      case 4: return cmd('hgetall', k)
      case 5: return cmd('hdel', k, ...Array.from({ length: rng.int(1, 3) }, f))
      case 6: return cmd('hincrby', k, f(), rng.pick(INTEGERS))
      case 7: case 8: return cmd('hincrbyfloat', k, f(), rng.pick(FLOATS))
      case 9: return cmd('hlen', k)
      case 10: return cmd('hexists', k, f())
      case 11: return cmd('hkeys', k)
      case 12: return cmd('hvals', k)
      case 13: return cmd('hset', k, 'n', rng.pick(INTEGERS))
      default: return cmd('hset', k, 'x', rng.pick(FLOATS))
    }
  }
  // lists
  if (r < 0.7) {
    const k = rng.chance(0.6) ? 'lst' : key()
    switch (rng.int(0, 12)) {
      case 0: case 1: return cmd(rng.pick(['lpush', 'rpush']), k, ...Array.from({ length: rng.int(1, 4) }, () => (rng.chance(0.5) ? rng.pick(MEMBERS) : value(rng))))
      case 2: return cmd(rng.pick(['lpop', 'rpop']), k)
      case 3: return cmd(rng.pick(['lpop', 'rpop']), k, rng.pick(['0', '1', '2', '5', '-1', 'x']), ...(rng.chance(0.05) ? ['1'] : []))
      case 4: case 5: return cmd('lrange', k, rng.pick(INDEXES), rng.pick(INDEXES))
      case 6: return cmd('llen', k)
      case 7: return cmd('lindex', k, rng.pick(INDEXES))
      case 8: return cmd('lset', k, rng.pick(INDEXES), rng.pick(MEMBERS))
      case 9: return cmd('ltrim', k, rng.pick(INDEXES), rng.pick(INDEXES))
      case 10: return cmd('lrem', k, rng.pick(['0', '1', '-1', '2', '-2', 'x']), rng.pick(MEMBERS))
      default: return cmd('rpush', k, ...Array.from({ length: rng.int(1, 6) }, () => rng.pick(MEMBERS)))
    }
  }
  // sets
  if (r < 0.8) {
    const k = rng.chance(0.6) ? 'st' : key()
    const m = (): ByteString => (rng.chance(0.7) ? rng.pick(MEMBERS) : rng.pick(INTEGERS))
    switch (rng.int(0, 5)) {
      case 0: case 1: return cmd('sadd', k, ...Array.from({ length: rng.int(1, 4) }, m))
      case 2: return cmd('srem', k, ...Array.from({ length: rng.int(1, 3) }, m))
      case 3: return cmd('smembers', k)
      case 4: return cmd('sismember', k, m())
      default: return cmd('scard', k)
    }
  }
  // sorted sets
  if (r < 0.95) {
    const k = rng.chance(0.6) ? rng.pick(['zs', 'zs', 'zbig']) : key()
    const m = (): ByteString => rng.pick(MEMBERS)
    switch (rng.int(0, 16)) {
      case 0: case 1: {
        const opts: string[] = []
        for (const o of ['nx', 'xx', 'gt', 'lt', 'ch', 'incr']) if (rng.chance(0.12)) opts.push(o)
        const pairs = opts.includes('incr') && rng.chance(0.8) ? 1 : rng.int(1, 3)
        return cmd('zadd', k, ...opts, ...Array.from({ length: pairs }, () => [rng.pick(SCORES), m()]).flat(), ...(rng.chance(0.04) ? ['1'] : []))
      }
      case 2: {
        // Enough members to leave the listpack encoding.
        const args: string[] = []
        for (let i = 0; i < 130; i++) args.push(String(rng.int(-50, 50)), `m${rng.int(0, 400)}`)
        if (rng.chance(0.5)) args.push('-0', 'negzero')
        return cmd('zadd', 'zbig', ...args)
      }
      case 3: return cmd('zincrby', k, rng.pick(SCORES), m())
      case 4: return cmd('zrem', k, ...Array.from({ length: rng.int(1, 3) }, m))
      case 5: return cmd('zscore', k, rng.chance(0.2) ? 'negzero' : m())
      case 6: return cmd('zcard', k)
      case 7: return cmd('zrank', k, m())
      case 8: case 9: {
        const args = [rng.pick(INDEXES), rng.pick(INDEXES)]
        if (rng.chance(0.3)) args.push('rev')
        if (rng.chance(0.4)) args.push('withscores')
        if (rng.chance(0.05)) args.push('limit', '0', rng.pick(['-1', '1']))
        return cmd('zrange', k, ...args)
      }
      case 10: case 11: {
        const args = [rng.pick(SCORE_BOUNDS), rng.pick(SCORE_BOUNDS), 'byscore']
        if (rng.chance(0.4)) args.push('rev')
        if (rng.chance(0.4)) args.push('withscores')
        if (rng.chance(0.3)) args.push('limit', rng.pick(['0', '1', '2', '-1', '100']), rng.pick(['1', '2', '-1', '0', '10']))
        if (rng.chance(0.2)) args.reverse()
        return cmd('zrange', k, ...args)
      }
      case 12: {
        const args = [rng.pick(LEX_BOUNDS), rng.pick(LEX_BOUNDS), 'bylex']
        if (rng.chance(0.4)) args.push('rev')
        if (rng.chance(0.1)) args.push('withscores')
        if (rng.chance(0.3)) args.push('limit', rng.pick(['0', '1', '-1']), rng.pick(['1', '3', '-1']))
        return cmd('zrange', k, ...args)
      }
      case 13: {
        if (rng.chance(0.5)) return cmd('zadd', 'zlex', ...Array.from({ length: rng.int(1, 3) }, () => ['0', m()]).flat())
        if (rng.chance(0.2)) return cmd('zrem', 'zlex', m())
        const args = [rng.pick(LEX_BOUNDS), rng.pick(LEX_BOUNDS), 'bylex']
        if (rng.chance(0.4)) args.push('rev')
        if (rng.chance(0.3)) args.push('limit', rng.pick(['0', '1', '-1']), rng.pick(['1', '3', '-1']))
        return cmd('zrange', 'zlex', ...args)
      }
      case 16: return cmd('zrange', k, ...rng.pick([['0'], ['0', '1', 'foo'], ['x', '1'], ['0', '1', 'byscore', 'bylex'], ['0', '1', 'limit', '1'], ['0', '-1', 'rev', 'rev']]))
      case 14: return cmd('zadd', k, ...rng.pick([['nx', 'xx', '1', 'a'], ['gt', 'lt', '1', 'a'], ['incr', '1', 'a', '2', 'b'], ['1'], ['ch', 'ch', '2', 'a'], ['xx', '1', 'newmember']]))
      default: return cmd('zincrby', k, rng.pick(['nx', '1', '-inf', 'inf']), m())
    }
  }
  // garbage: unknown commands, wrong arity
  switch (rng.int(0, 3)) {
    case 0: return { argv: [rng.pick(['foo', 'SETX', 'hgetx', '\x00cmd', 'with\r\nnewline']), ...Array.from({ length: rng.int(0, 3) }, () => value(rng))] }
    case 1: return cmd(rng.pick(['get', 'set', 'hset', 'lpush', 'zadd', 'expire', 'ttl', 'rename', 'incr', 'getdel', 'sadd', 'echo']))
    case 2: return cmd(rng.pick(['get', 'ttl', 'type', 'incr', 'llen', 'scard', 'dbsize', 'strlen']), key(), key(), key())
    default: return { argv: [randomCase(rng, rng.pick(['watchx', 'setexx', 'zaddd']))] }
  }
}

/** Server commands with the same answer from any Redis-compatible server (see GenerateOptions). */
function serverCommand(rng: Rng): Op {
  const cmd = (name: string, ...args: ByteString[]): Op => ({ argv: [randomCase(rng, name), ...args] })
  switch (rng.int(0, 5)) {
    // No replica ever ACKs (the raw replicas never do): 0 once the client wrote, else the count.
    case 0: return cmd('wait', '0', '0')
    case 1: return cmd('wait', ...rng.pick([['0'], ['x', '0'], ['0', 'x'], ['-1', '0'], ['0', '-1'], ['0', '0', '0']]))
    case 2: return cmd('config', 'get', rng.pick(['databases', 'appendonly', 'save', 'maxmemory', 'maxmemory-policy', 'no-such-setting']))
    case 3: return cmd('config', ...rng.pick([[], ['get'], ['foo'], ['GET', 'databases', 'appendonly']]))
    case 4: return cmd('ping', ...rng.pick([[], ['x'], ['a', 'b']]))
    default: return cmd('echo', ...rng.pick([[], ['x'], ['a', 'b']]))
  }
}

/** What Redis accepted into the current transaction of the fuzzed client (to compare EXEC's replies). */
export class TransactionTracker {
  /** The commands queued since MULTI; null outside a transaction. */
  queued: (readonly ByteString[])[] | null = null

  /** Follows one command of the fuzzed client and Redis's reply to it. */
  observe(argv: readonly ByteString[], redisReply: Plain): void {
    const name = argv[0]!.toLowerCase()
    const reply = JSON.stringify(redisReply)
    if (name === 'multi' && reply === '{"simple":"OK"}') this.queued = []
    else if (this.queued !== null && reply === '{"simple":"QUEUED"}') this.queued.push(argv)
    else if (name === 'exec' || name === 'discard') {
      if (!(isError(redisReply) && name === 'discard')) this.queued = null
    }
  }
}

/**
 * The next command of a run: MULTI, EXEC or DISCARD now and then (and misplaced or with an extra
 * argument), else a random command, made safe to queue inside a transaction.
 */
export function nextOp(rng: Rng, tx: TransactionTracker, now: number, options: GenerateOptions = {}): Op {
  let next: Op
  if (tx.queued === null && rng.chance(0.04)) next = { argv: [randomCase(rng, 'multi')] }
  else if (tx.queued !== null && (tx.queued.length >= 6 || rng.chance(0.2))) {
    next = { argv: [randomCase(rng, rng.pick(['exec', 'exec', 'exec', 'exec', 'discard']))] }
  } else if (rng.chance(0.005)) next = { argv: [rng.pick(['exec', 'discard', 'multi']), ...(rng.chance(0.3) ? ['x'] : [])] }
  else next = generate(rng, now, options)
  // Inside a transaction, short TTLs would expire at EXEC time on one side and not the other.
  if (tx.queued !== null && next.pauseMs !== undefined) next = { argv: ['dbsize'] }
  // ... and BYLEX on a skiplist with mixed scores could not be told apart from a bug (isBylexRange).
  if (tx.queued !== null && isBylexRange(next.argv)) {
    next = { argv: [next.argv[0]!, 'zlex', ...next.argv.slice(2)] }
  }
  return next
}

// ---- comparing ---------------------------------------------------------------------------------

export type Plain = string | number | null | Plain[] | { error: string } | { simple: string }

export function plain(value: RespValue): Plain {
  switch (value.kind) {
    case 'simple': return { simple: value.value }
    case 'error': return { error: value.message }
    case 'integer': return Number(value.value) === Number(String(value.value)) && typeof value.value === 'number' ? value.value : String(value.value)
    case 'bulk': return value.value
    case 'array': return value.value === null ? null : value.value.map(plain)
  }
}

function sortedStrings(value: Plain): Plain {
  return Array.isArray(value) ? [...value].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)) : value
}

/** Makes replies comparable where Redis's order or timing is not ours to match. */
export function normalize(name: string, argv: readonly ByteString[], value: Plain): Plain {
  if (!Array.isArray(value)) {
    return value
  }
  switch (name) {
    case 'keys': case 'smembers': case 'hkeys': case 'hvals':
      return sortedStrings(value)
    // CONFIG GET: Redis 7.0 answers in the order of its config table's hash, not of the arguments.
    case 'config':
    case 'hgetall': {
      if (name === 'config' && argv[1]?.toLowerCase() !== 'get') return value
      const pairs: string[] = []
      for (let i = 0; i < value.length; i += 2) pairs.push(JSON.stringify([value[i], value[i + 1]]))
      return pairs.sort()
    }
    case 'scan':
      return [value[0]!, [...new Set(sortedStrings(value[1]!) as string[])]]
    default:
      void argv
      return value
  }
}

export function nearlyEqualTtl(name: string, redis: Plain, ours: Plain): boolean {
  if (name !== 'ttl' && name !== 'pttl') return false
  // Integers beyond 2^53 come as strings; expiries that far out are kept as doubles by the dataset.
  const a = typeof redis === 'string' && /^\d+$/.test(redis) ? Number(redis) : redis
  const b = typeof ours === 'string' && /^\d+$/.test(ours) ? Number(ours) : ours
  if (typeof a !== 'number' || typeof b !== 'number' || a < 0 || b < 0) return false
  return Math.abs(a - b) <= (name === 'ttl' ? 1 : 1000)
}

/** A stream command with absolute times blurred to a tolerance. */
export function sameStreamCommand(a: readonly ByteString[], b: readonly ByteString[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue
    const isTime = (i === 4 && a[3] === 'PXAT') || (i === 2 && a[0]!.toLowerCase() === 'pexpireat')
    if (isTime && /^\d+$/.test(a[i]!) && /^\d+$/.test(b[i]!) && Math.abs(Number(a[i]) - Number(b[i])) <= 2000) continue
    return false
  }
  return true
}

/** Equal as multisets, absolute times blurred (sameStreamCommand). */
export function sameMultiset(actual: readonly ByteString[][], expected: readonly ByteString[][]): boolean {
  if (actual.length !== expected.length) return false
  const left = [...expected]
  for (const command of actual) {
    const i = left.findIndex((candidate) => sameStreamCommand(command, candidate))
    if (i < 0) return false
    left.splice(i, 1)
  }
  return true
}

export function isError(value: Plain): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value
}

/**
 * ZRANGE BYLEX. On a sorted set whose scores differ Redis's answer depends on its skiplist's random
 * levels (zslFirstInLexRange), so it is only comparable for listpack-encoded sets, which are
 * scanned linearly: a caller that sees a difference asks OBJECT ENCODING (no side effect on a live
 * key) before calling it a bug.
 */
export function isBylexRange(argv: readonly ByteString[]): boolean {
  return argv[0]!.toLowerCase() === 'zrange' && argv.some((a) => a.toLowerCase() === 'bylex')
}

/**
 * Whether two replies to `argv` are the same, up to the normalizations above. `queued` is what Redis
 * queued in the transaction that `argv` (an EXEC) runs, so that each of EXEC's replies is
 * normalized as its command's.
 */
export function sameReply(argv: readonly ByteString[], redis: Plain, ours: Plain, queued: readonly (readonly ByteString[])[] | null): boolean {
  const name = argv[0]!.toLowerCase()
  if (name === 'exec' && Array.isArray(redis) && Array.isArray(ours) && queued !== null && redis.length === queued.length) {
    return ours.length === redis.length && redis.every((r, i) => {
      const q = queued[i]!
      const qName = q[0]!.toLowerCase()
      return nearlyEqualTtl(qName, r, ours[i]!) || JSON.stringify(normalize(qName, q, r)) === JSON.stringify(normalize(qName, q, ours[i]!))
    })
  }
  return nearlyEqualTtl(name, redis, ours) || JSON.stringify(normalize(name, argv, redis)) === JSON.stringify(normalize(name, argv, ours))
}

// ---- replication streams -------------------------------------------------------------------------

/** What one op propagated: compared in order, or as a multiset when `unordered`. */
export interface StreamGroup {
  readonly op: number
  readonly argv: readonly ByteString[]
  readonly commands: readonly ByteString[][]
  /** SCAN's lazy deletions: Redis visits keys in its hash order, so compare as a multiset. */
  readonly unordered: boolean
}

/** Whether the stream an op propagates has no defined order: a SCAN, or an EXEC of one. */
export function isUnorderedUnit(argv: readonly ByteString[], queued: readonly (readonly ByteString[])[] | null): boolean {
  const name = argv[0]!.toLowerCase()
  return name === 'scan' || (name === 'exec' && (queued ?? []).some((q) => q[0]!.toLowerCase() === 'scan'))
}

/**
 * The stream's keep-alives: the periodic `ping` and `REPLCONF GETACK *`. Each server writes them on
 * its own schedule, so they are left out of the comparison.
 */
export function isStreamKeepalive(command: readonly ByteString[]): boolean {
  if (command.length === 1 && command[0]!.toLowerCase() === 'ping') return true
  return command.length === 3 && command[0]!.toLowerCase() === 'replconf' && command[1]!.toLowerCase() === 'getack'
}

/**
 * Checks that `actual` (Redis's stream since the last check, keep-alives removed) is exactly
 * `groups` in order, each group matched in order or as a multiset, absolute times blurred
 * (sameStreamCommand). Throws a description of the first difference.
 */
export function compareStream(actual: readonly ByteString[][], groups: readonly StreamGroup[], theirs = 'redis', ours = 'ours'): void {
  let at = 0
  for (const group of groups) {
    const slice = actual.slice(at, at + group.commands.length)
    const ok = group.unordered
      ? sameMultiset(slice, group.commands)
      : slice.length === group.commands.length && slice.every((c, i) => sameStreamCommand(c, group.commands[i]!))
    if (!ok) {
      throw new Error(
        `replication stream mismatch at op #${group.op} ${JSON.stringify(group.argv)}\n  ${theirs}: ${JSON.stringify(actual.slice(at, at + group.commands.length + 3))}\n  ${ours}:  ${JSON.stringify(group.commands)}`,
      )
    }
    at += group.commands.length
  }
  if (at !== actual.length) {
    const last = groups.at(-1)
    throw new Error(`${theirs} propagated more than ${ours} after op #${last?.op ?? '(start)'}: ${JSON.stringify(actual.slice(at, at + 5))}`)
  }
}

// ---- diagnostics -------------------------------------------------------------------------------

/** The last few ops of a run, for failure messages. */
export class History {
  readonly #lines: string[] = []

  push(op: number, argv: readonly ByteString[], reply: Plain): void {
    this.#lines.push(`#${op} ${JSON.stringify(argv).slice(0, 200)} → ${JSON.stringify(reply).slice(0, 200)}`)
    if (this.#lines.length > 12) this.#lines.shift()
  }

  toString(): string {
    return this.#lines.join('\n  ')
  }
}

/** Counts of stream commands and error replies, printed when FUZZ_STATS is set (to tune the generator). */
export class RunStats {
  readonly #errors = new Map<string, number>()

  observe(reply: Plain): void {
    if (!isError(reply)) return
    const line = reply.error.replace(/'[^']*'/g, "'…'").slice(0, 60)
    this.#errors.set(line, (this.#errors.get(line) ?? 0) + 1)
  }

  print(seed: number, stream: readonly (readonly ByteString[])[]): void {
    if (process.env.FUZZ_STATS === undefined) return
    const counts = new Map<string, number>()
    for (const command of stream) counts.set(command[0]!.toUpperCase(), (counts.get(command[0]!.toUpperCase()) ?? 0) + 1)
    console.log(`seed ${seed} stream:`, Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])))
    console.log(`seed ${seed} error replies:`, Object.fromEntries([...this.#errors].sort((a, b) => b[1] - a[1])))
  }
}

/** One side of a digest comparison, key by key (DEBUG DIGEST-VALUE). */
export interface DigestSide {
  keys(db: number): Promise<readonly ByteString[]>
  digestValue(db: number, key: ByteString): Promise<string>
  /** More about a key, for the message (optional). */
  describe?(db: number, key: ByteString): string
}

/** A server's side, through `client` (it is left in database `restoreDb`). */
export function respDigestSide(client: RespClient, restoreDb: number): DigestSide & { done(): Promise<void> } {
  let selected = -1
  const select = async (db: number): Promise<void> => {
    if (selected !== db) await client.send(['SELECT', String(db)])
    selected = db
  }
  return {
    async keys(db) {
      await select(db)
      return plain(await client.send(['KEYS', '*'])) as string[]
    },
    async digestValue(db, key) {
      await select(db)
      const reply = plain(await client.send(['DEBUG', 'DIGEST-VALUE', key]))
      return Array.isArray(reply) && typeof reply[0] === 'object' && reply[0] !== null && 'simple' in reply[0] ? reply[0].simple : JSON.stringify(reply)
    },
    async done() {
      await select(restoreDb)
    },
  }
}

/** The keys whose DEBUG DIGEST-VALUE differs between the two sides, described. */
export async function digestDifferences(redis: DigestSide, ours: DigestSide, databases = 16): Promise<string[]> {
  const out: string[] = []
  for (let db = 0; db < databases; db++) {
    for (const key of new Set([...(await redis.keys(db)), ...(await ours.keys(db))])) {
      const theirs = await redis.digestValue(db, key)
      const mine = await ours.digestValue(db, key)
      if (theirs !== mine) out.push(`db ${db} key ${JSON.stringify(key)}: redis ${theirs} ours ${mine}${ours.describe === undefined ? '' : ` ${ours.describe(db, key)}`}`)
    }
  }
  return out
}

// ---- one seed's run -----------------------------------------------------------------------------

/**
 * One test a seed (fuzzSeeds, fuzzOps) under `title`; `runSeed` gets the seed and its number of
 * commands, and a failure prints FUZZ_SEED (runWithSeed).
 */
export function describeFuzz(title: string, defaults: { readonly seeds: readonly number[]; readonly ops: number }, runSeed: (seed: number, ops: number) => Promise<void>): void {
  const ops = fuzzOps(defaults.ops)
  describe(title, () => {
    for (const seed of fuzzSeeds(defaults.seeds)) {
      test(`seed ${seed}: ${ops} random commands`, () => runWithSeed(seed, (s) => runSeed(s, ops)), 120_000)
    }
  })
}

/**
 * One seed's run on the fuzzed client: what it sends (nextOp), its transaction as Redis saw it, the
 * recent history for failure messages, and the statistics of Redis's replies.
 */
export class FuzzRun {
  readonly tx = new TransactionTracker()
  readonly history = new History()
  readonly stats = new RunStats()
  readonly #rng: Rng

  constructor(readonly seed: number) {
    this.#rng = new Rng(seed)
  }

  /**
   * Records Redis's reply to op `op` and says whether ours is the same (sameReply; for the `fuzzed`
   * client, within its transaction). A ZRANGE BYLEX that Redis answers in an unspecified order
   * (isBylexRange) passes too: `ourRecord` reads our copy of a key in the client's database in
   * process (a read through a client could expire it on one side only), and `redis` tells the encoding.
   */
  async agree(
    op: number, argv: readonly ByteString[], redisReply: Plain, ourReply: Plain, fuzzed: boolean,
    ourRecord: (key: ByteString) => KeyRecord | undefined, redis: RespClient,
  ): Promise<boolean> {
    this.stats.observe(redisReply)
    this.history.push(op, argv, redisReply)
    if (sameReply(argv, redisReply, ourReply, fuzzed ? this.tx.queued : null)) return true
    if (!fuzzed || this.tx.queued !== null || !isBylexRange(argv)) return false
    const record = ourRecord(argv[1]!)
    if (record === undefined || record.value.type !== 'zset' || (record.expireAt !== null && record.expireAt < Date.now() + 1000)) return false
    const scores = new Set(record.value.entries.map(([, score]) => score))
    if (scores.size <= 1) return false
    return JSON.stringify(plain(await redis.send(['OBJECT', 'ENCODING', argv[1]!]))) === '"skiplist"'
  }

  /**
   * The op loop: `ops` commands, each through `runOne` and followed by its pause; `checkpoint` every
   * `checkpointEvery` ops when no transaction is open. At the end an open transaction is discarded
   * (as op number `ops`) and a last checkpoint runs.
   */
  async drive(options: {
    readonly ops: number
    readonly checkpointEvery: number
    readonly generate?: GenerateOptions
    runOne(op: number, argv: ByteString[]): Promise<void>
    checkpoint(op: number): Promise<void>
  }): Promise<void> {
    const { ops, checkpointEvery } = options
    for (let op = 0; op < ops; op++) {
      const next = nextOp(this.#rng, this.tx, Date.now(), options.generate)
      await options.runOne(op, next.argv)
      if (next.pauseMs !== undefined) await pauseByClock(next.pauseMs)
      if (op % checkpointEvery === checkpointEvery - 1 && this.tx.queued === null) await options.checkpoint(op)
    }
    if (this.tx.queued !== null) await options.runOne(ops, ['DISCARD'])
    await options.checkpoint(ops)
  }
}

// ---- a server under test ------------------------------------------------------------------------

/** A server under test over TCP: a fuzzed client, a barrier client and a raw `SYNC` replica's stream. */
export interface Side {
  readonly name: string
  readonly client: RespClient
  readonly barrier: RespClient
  readonly stream: ReplicationStream
}

/** Connects to the server on `port` and switches its active expiry off; `closers` gets each connection's close. */
export async function connectSide(name: string, port: number, closers: (() => void)[]): Promise<Side> {
  const client = await RespClient.connect(port)
  closers.push(() => client.close())
  const barrier = await RespClient.connect(port)
  closers.push(() => barrier.close())
  expect(plain(await client.send(['DEBUG', 'SET-ACTIVE-EXPIRE', '0'])), `${name}: DEBUG SET-ACTIVE-EXPIRE 0`).toEqual({ simple: 'OK' })
  const stream = await ReplicationStream.attach(port)
  closers.push(() => stream.close())
  return { name, client, barrier, stream }
}

/** Waits until `side`'s stream, from command `from` on, holds the barrier write number `n` (`SET __barrier__ <n>`). */
export async function awaitBarrier(side: Side, from: number, n: number): Promise<void> {
  const deadline = Date.now() + 5000
  const isBarrier = (c: ByteString[]): boolean => c[0] === 'SET' && c[1] === '__barrier__' && c[2] === String(n)
  while (!side.stream.commands.slice(from).some(isBarrier)) {
    if (Date.now() > deadline) throw new Error(`${side.name}'s replication stream did not deliver barrier ${n}`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}
