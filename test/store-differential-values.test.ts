// Value-level differential tests against redis-server 7.0, where the random command test has too few
// distinct inputs: float arithmetic and formatting (long double INCRBYFLOAT/HINCRBYFLOAT, "%.17g"
// scores), strtod-parsed score bounds, and glob patterns. Commands are pipelined for speed.
// A failure prints FUZZ_SEED=<seed>.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ByteString } from '../packages/core/src/bytes.ts'
import type { RespValue } from '../packages/core/src/resp/value.ts'
import { Dataset } from '../packages/core/src/store/index.ts'
import { SeededRandom } from '../packages/core/src/store/test-util.ts'
import { RespClient } from './support/resp-client.ts'
import { startRedisServer, type RedisServer } from './support/redis-server.ts'

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20240601

let server: RedisServer
let client: RespClient

beforeAll(async () => {
  server = await startRedisServer()
  client = await RespClient.connect(server.port)
})

afterAll(async () => {
  client.close()
  await server.stop()
})

/** Runs the commands on a fresh Redis db and a fresh dataset; returns the pairs of replies that differ. */
async function compare(commands: readonly (readonly ByteString[])[]): Promise<{ argv: readonly ByteString[]; redis: RespValue; ours: RespValue }[]> {
  await client.send(['FLUSHALL'])
  const ds = new Dataset()
  const session = ds.createSession()
  const now = Date.now()
  const theirs = await Promise.all(commands.map((argv) => client.send(argv)))
  const out: { argv: readonly ByteString[]; redis: RespValue; ours: RespValue }[] = []
  commands.forEach((argv, i) => {
    const ours = ds.execute(session, argv, now).reply
    if (JSON.stringify(ours, (_, v) => (typeof v === 'bigint' ? String(v) : v)) !== JSON.stringify(theirs[i], (_, v) => (typeof v === 'bigint' ? String(v) : v))) {
      out.push({ argv, redis: theirs[i]!, ours })
    }
  })
  return out
}

function withSeed(name: string, body: (rng: SeededRandom) => Promise<void>): void {
  test(name, async () => {
    try {
      await body(new SeededRandom(SEED))
    } catch (error) {
      console.error(`FUZZ_SEED=${SEED}`)
      throw error
    }
  }, 60_000)
}

function randomDecimal(rng: SeededRandom): string {
  const r = rng.next()
  const digits = (n: number): string => Array.from({ length: n }, () => String(rng.int(0, 9))).join('')
  const sign = rng.int(0, 3) === 0 ? '-' : ''
  if (r < 0.1) return `${sign}0x${rng.int(1, 0xffff).toString(16)}${rng.int(0, 1) ? `p${rng.int(-20, 20)}` : ''}`
  if (r < 0.2) return `${sign}${rng.int(0, 1000)}`
  if (r < 0.6) return `${sign}${digits(rng.int(1, 6))}.${digits(rng.int(1, 22))}`
  return `${sign}${digits(1)}.${digits(rng.int(0, 25))}e${rng.int(-40, 40)}`
}

describe('numbers vs redis-server 7.0', () => {
  withSeed('INCRBYFLOAT / HINCRBYFLOAT chains print exactly as Redis (long double)', async (rng) => {
    const commands: string[][] = []
    for (let i = 0; i < 3000; i++) {
      const key = `f${rng.int(0, 9)}`
      if (rng.int(0, 1) === 0) commands.push(['INCRBYFLOAT', key, randomDecimal(rng)])
      else commands.push(['HINCRBYFLOAT', 'h', key, randomDecimal(rng)])
      if (rng.int(0, 40) === 0) commands.push(['SET', key, randomDecimal(rng)])
    }
    expect(await compare(commands)).toEqual([])
  })

  withSeed('ZADD / ZINCRBY / ZSCORE / ZRANGE WITHSCORES print "%.17g" as Redis', async (rng) => {
    const commands: string[][] = []
    for (let i = 0; i < 3000; i++) {
      const member = `m${rng.int(0, 50)}`
      const key = rng.int(0, 4) === 0 ? 'big' : 'z'
      const r = rng.int(0, 3)
      if (r === 0) commands.push(['ZADD', key, randomDecimal(rng), member])
      else if (r === 1) commands.push(['ZINCRBY', key, randomDecimal(rng), member])
      else if (r === 2) commands.push(['ZSCORE', key, member])
      else commands.push(['ZRANGE', key, '0', '-1', 'WITHSCORES'])
    }
    const fill: string[] = ['ZADD', 'big']
    for (let i = 0; i < 200; i++) fill.push(String(i), `fill${i}`)
    expect(await compare([fill, ...commands])).toEqual([])
  })

  withSeed('BYSCORE bounds parsed with strtod as Redis does', async (rng) => {
    const commands: string[][] = [['ZADD', 'z', '-inf', 'a', '-1.5', 'b', '0', 'c', '0.1', 'd', '2', 'e', '1e10', 'f', 'inf', 'g']]
    const pieces = ['', ' ', '(', '1', '-', '+', '.', 'e', '5', 'inf', 'nan', '0x1', 'p2', '\x00', 'x', '1e400']
    const bound = (): string => Array.from({ length: rng.int(0, 4) }, () => rng.pick(pieces)).join('')
    for (let i = 0; i < 1500; i++) {
      const args = ['ZRANGE', 'z', bound(), bound(), 'BYSCORE']
      if (rng.int(0, 2) === 0) args.push('REV')
      if (rng.int(0, 2) === 0) args.push('LIMIT', String(rng.int(-1, 3)), String(rng.int(-1, 3)))
      commands.push(args)
    }
    expect(await compare(commands)).toEqual([])
  })
})

describe('glob patterns vs redis-server 7.0', () => {
  withSeed('KEYS with random patterns', async (rng) => {
    const alphabet = ['a', 'b', 'c', '*', '?', '[', ']', '^', '-', '\\', 'z', '\xff', '\x00']
    const keys = new Set<string>()
    while (keys.size < 60) keys.add(Array.from({ length: rng.int(0, 6) }, () => rng.pick(['a', 'b', 'c', '-', ']', '[', '*', '\\', '\xff', 'z'])).join(''))
    const commands: string[][] = [...keys].map((k) => ['SET', k, 'v'])
    for (let i = 0; i < 2000; i++) commands.push(['KEYS', Array.from({ length: rng.int(1, 7) }, () => rng.pick(alphabet)).join('')])
    const differences = await compare(commands)
    // KEYS order is Redis's hash order: compare as sets.
    const sorted = (v: RespValue): string[] => (v.kind === 'array' ? (v.value ?? []).map((x) => (x.kind === 'bulk' ? x.value ?? '' : '')).sort() : [])
    expect(differences.filter((d) => JSON.stringify(sorted(d.redis)) !== JSON.stringify(sorted(d.ours)))).toEqual([])
  })
})
