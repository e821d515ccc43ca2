// RDB codec throughput: writing and reading a snapshot of 1,000,000 string keys with 100-byte values
// (the shape of `DEBUG POPULATE 1000000 key 100`, REDIS.md §10), and CRC-64 alone.
//
//   npx tsx bench/rdb.ts [keys]
//
// Prints MB/s and keys/s for each step (best of 3 runs), and the cost of LZF compression in the
// writer for incompressible and compressible values: the figure behind RdbWriterOptions.compression.
// Targets (the RDB issue): read well under 2 s, write under ~1.5 s, crc64 ≥ 300 MB/s.
//
// Yardsticks (DESIGN §9), measured in the same run when redis-server is installed: Redis itself
// saving `DEBUG POPULATE <keys> key 100` (the same keys and values as the compressible set) with
// SAVE, compression on and off (its time includes writing the file, ours stays in memory), and
// `redis-check-rdb` reading our file. Each prints the ratio ours/theirs.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { Crc64, RdbReader, RdbWriter } from '../packages/core/src/rdb/index.ts'
import type { KeyRecord } from '../packages/core/src/values.ts'
import { startRedisServer } from '../test/support/redis-server.ts'

const KEYS = Number(process.argv[2] ?? 1_000_000)
const VALUE_BYTES = 100
const CHUNK_BYTES = 64 * 1024
const RUNS = 3

// A seeded xorshift, so that every run measures the same bytes.
let seed = 0x9e3779b9
function random(): number {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 4294967296
}

function records(kind: 'random' | 'compressible'): KeyRecord[] {
  const out: KeyRecord[] = new Array(KEYS)
  const bytes = new Array<number>(VALUE_BYTES)
  for (let i = 0; i < KEYS; i++) {
    if (kind === 'random') {
      for (let j = 0; j < VALUE_BYTES; j++) bytes[j] = Math.floor(random() * 256)
    } else {
      // DEBUG POPULATE's values: "value:<n>" padded with zero bytes.
      const text = `value:${i}`
      for (let j = 0; j < VALUE_BYTES; j++) bytes[j] = j < text.length ? text.charCodeAt(j) : 0
    }
    out[i] = { db: 0, key: `key:${i}`, value: { type: 'string', value: String.fromCharCode(...bytes) }, expireAt: null }
  }
  return out
}

function best<T>(run: () => T): { ms: number; result: T } {
  let ms = Infinity
  let result!: T
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    result = run()
    ms = Math.min(ms, performance.now() - start)
  }
  return { ms, result }
}

// Write in slices of 10,000 keys, as a master serializing between other work would.
function write(input: readonly KeyRecord[], compression: boolean): Uint8Array[] {
  const writer = new RdbWriter({ compression })
  const chunks: Uint8Array[] = []
  writer.writeHeader({ 'redis-ver': '7.0.15', 'redis-bits': 64, ctime: 1_700_000_000, 'used-mem': 0, 'aof-base': 0 })
  writer.selectDb(0, { keys: input.length, expires: 0 })
  for (let i = 0; i < input.length; i++) {
    writer.writeKey(input[i]!)
    if (i % 10_000 === 9_999) chunks.push(writer.take())
  }
  writer.writeEnd()
  chunks.push(writer.take())
  return chunks
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

function read(file: Uint8Array): number {
  const reader = new RdbReader()
  let keys = 0
  for (let at = 0; at < file.length; at += CHUNK_BYTES) {
    for (const event of reader.push(file.subarray(at, at + CHUNK_BYTES))) if (event.kind === 'key') keys++
  }
  reader.finish()
  return keys
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)
function line(name: string, ms: number, bytes: number, keys?: number): void {
  const perSecond = keys === undefined ? '' : `, ${Math.round(keys / (ms / 1000)).toLocaleString('en-US')} keys/s`
  console.log(`${name.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms  ${mb(bytes).padStart(7)} MB  ${(bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(5)} MB/s${perSecond}`)
}

function yardstick(name: string, theirsMs: number, oursMs: number): void {
  console.log(`${name.padEnd(34)} ${theirsMs.toFixed(0).padStart(6)} ms  (ours/theirs ×${(oursMs / theirsMs).toFixed(2)})`)
}

const redisInstalled = spawnSync('redis-server', ['--version']).status === 0
const ours = { writePlain: 0, writeLzf: 0, read: 0, file: new Uint8Array(0) }

console.log(`RDB codec, ${KEYS.toLocaleString('en-US')} string keys × ${VALUE_BYTES}-byte values, Node ${process.version}, best of ${RUNS}`)
for (const kind of ['random', 'compressible'] as const) {
  const input = records(kind)
  const plain = best(() => concat(write(input, false)))
  const lzf = best(() => concat(write(input, true)))
  line(`write ${kind}, compression off`, plain.ms, plain.result.length, KEYS)
  line(`write ${kind}, compression on`, lzf.ms, lzf.result.length, KEYS)
  console.log(`${''.padEnd(34)} compression costs ×${(lzf.ms / plain.ms).toFixed(2)} time, saves ${(100 - (100 * lzf.result.length) / plain.result.length).toFixed(0)}% bytes`)
  const reading = best(() => read(plain.result))
  if (reading.result !== KEYS) throw new Error(`read ${reading.result} keys, expected ${KEYS}`)
  line(`read ${kind} (64 KB chunks)`, reading.ms, plain.result.length, KEYS)
  const readingLzf = best(() => read(lzf.result))
  line(`read ${kind}, LZF file`, readingLzf.ms, lzf.result.length, KEYS)
  if (kind === 'compressible') Object.assign(ours, { writePlain: plain.ms, writeLzf: lzf.ms, read: readingLzf.ms, file: lzf.result })
  if (kind === 'random') {
    const crc = best(() => new Crc64().update(plain.result).value)
    line('crc64', crc.ms, plain.result.length)
  }
}

if (redisInstalled) {
  console.log('yardsticks: Redis on the same machine, same run')
  const server = await startRedisServer([])
  const redis = new Redis({ port: server.port, host: '127.0.0.1' })
  try {
    await redis.call('DEBUG', 'POPULATE', String(KEYS), 'key', String(VALUE_BYTES))
    for (const compression of ['yes', 'no'] as const) {
      await redis.config('SET', 'rdbcompression', compression)
      let ms = Infinity
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now()
        await redis.save()
        ms = Math.min(ms, performance.now() - start)
      }
      yardstick(`redis SAVE to disk, compression ${compression === 'yes' ? 'on' : 'off'}`, ms, compression === 'yes' ? ours.writeLzf : ours.writePlain)
    }
  } finally {
    redis.disconnect()
    await server.stop()
  }
  const dir = await mkdtemp(join(tmpdir(), 'replicast-bench-rdb-'))
  try {
    const path = join(dir, 'ours.rdb')
    await writeFile(path, ours.file)
    let ms = Infinity
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now()
      const check = spawnSync('redis-check-rdb', [path], { encoding: 'utf8' })
      ms = Math.min(ms, performance.now() - start)
      if (!check.stdout.includes('RDB looks OK')) throw new Error(`redis-check-rdb refused our file:\n${check.stdout}`)
    }
    yardstick('redis-check-rdb reads our LZF file', ms, ours.read)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
} else {
  console.log('yardsticks skipped: redis-server is not installed')
}
