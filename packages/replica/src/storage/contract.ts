// THE contract suite for ReplicaStorage adapters (STYLE §6.4, mono's runAll): one list of cases run
// against memory and file in Node, IndexedDB over fake-indexeddb in unit tests, and real IndexedDB in
// Chromium. It is framework-agnostic on purpose — no vitest import, its own assertions that throw
// plain Errors with a clear message — so a browser page can import it and run every case with
// `runStorageContractCases`. contract-vitest.ts wraps it for vitest.
//
// What a harness provides is only how to make, restart and crash a store. A case never looks inside
// an adapter: everything is checked through the ReplicaStorage interface, so a case that passes here
// passes for the shell too. Adapter internals (file compaction, the snapshot's RDB format, torn frames
// in the middle of a log) are tested beside each adapter.
//
// Deliberately left out: absolute timings (bench/storage.ts measures those). The one case about speed
// ("get does not scan") compares two operations of the same store in the same run, with a wide margin.
import type { KeyRecord, PlainValue } from '@replicast/core'
import {
  kSimulateCrash,
  STORAGE_ERROR_CODES,
  type CrashableStorage,
  type ReplicaStorage,
  type ReplicationMeta,
  type StorageChange,
  type StorageErrorCode,
} from './storage.ts'

/** How the suite makes and restarts stores of one adapter. A harness is used by one case only. */
export interface StorageHarness {
  /** A new, empty store, not yet opened. */
  create(): Promise<ReplicaStorage>
  /** Simulates a clean restart: closes `previous` and returns a new instance on the same store, not yet opened. */
  reopen(previous: ReplicaStorage): Promise<ReplicaStorage>
  /**
   * Simulates a crash: abandons `previous` without any cleanup and returns a new instance on the same
   * store, not yet opened. Default: `previous[kSimulateCrash]()` then `reopen(previous)`.
   */
  crash?(previous: ReplicaStorage): Promise<ReplicaStorage>
  /** File adapter only: cuts the last `bytes` bytes of the log. Called after a crash, before the next open. */
  tearTail?(bytes: number): Promise<void>
  /**
   * A new, empty store limited to `limitBytes` (memory `quotaBytes`, file `maxBytes`). Absent where no
   * limit can be set from code (IndexedDB: the browser's quota); the quota cases then pass vacuously.
   */
  createLimited?(limitBytes: number): Promise<ReplicaStorage>
  /** Releases everything the harness made (temp dirs, databases). Called once, after the case. */
  dispose?(): Promise<void>
}

/**
 * The create and reopen of a harness whose every instance is `make()` over the same store (a file
 * directory, a database name): a reopen closes the previous instance and makes another.
 */
export function sameStoreHarness(make: () => ReplicaStorage): Pick<StorageHarness, 'create' | 'reopen'> {
  return {
    async create() {
      return make()
    },
    async reopen(previous) {
      await previous.close()
      return make()
    },
  }
}

export interface StorageContractCase {
  readonly name: string
  /** Needs a harness capability; without it the case is reported as skipped. */
  readonly requires?: 'crash' | 'tearTail' | 'createLimited'
  run(harness: StorageHarness): Promise<void>
}

// ─── Assertions ─────────────────────────────────────────────────────────────────────────────────

export class ContractAssertionError extends Error {
  override name = 'ContractAssertionError'
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ContractAssertionError(message)
}

/** Shows a value for a message: ByteStrings escaped, long strings shortened. */
function show(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))
  return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text
}

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  const a = show(actual)
  const e = show(expected)
  if (a !== e) throw new ContractAssertionError(`${what}: expected ${e}, got ${a}`)
}

/** Awaits `promise` and checks that it rejects with a StorageError of `code`. Returns the error. */
async function assertRejects(promise: Promise<unknown>, code: StorageErrorCode, what: string): Promise<Error> {
  let result: unknown
  try {
    result = await promise
  } catch (error) {
    const actual = (error as { code?: unknown }).code
    if (actual !== code) {
      throw new ContractAssertionError(
        `${what}: expected a rejection with code ${code}, got ${error instanceof Error ? `${error.name} (${String(actual)}): ${error.message}` : String(error)}`,
      )
    }
    return error as Error
  }
  throw new ContractAssertionError(`${what}: expected a rejection with code ${code}, but it resolved with ${show(result)}`)
}

// ─── Records and comparisons ────────────────────────────────────────────────────────────────────

/** Canonical form of a value: sets, hashes and zsets as sorted (order is not part of their meaning). */
function canonicalValue(value: PlainValue): unknown {
  const byFirst = (a: readonly [string, unknown], b: readonly [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  switch (value.type) {
    case 'string':
      return value
    case 'list':
      return { type: 'list', items: [...value.items] }
    case 'set':
      return { type: 'set', members: [...value.members].sort() }
    case 'hash':
      return { type: 'hash', fields: value.fields.map((f) => [f[0], f[1]] as const).sort(byFirst) }
    case 'zset':
      return { type: 'zset', entries: value.entries.map((e) => [e[0], e[1]] as const).sort(byFirst) }
  }
}

function canonicalRecord(record: KeyRecord | undefined): unknown {
  if (record === undefined) return undefined
  return { db: record.db, key: record.key, value: canonicalValue(record.value), expireAt: record.expireAt }
}

function recordOrder(a: KeyRecord, b: KeyRecord): number {
  return a.db - b.db || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
}

async function loadAll(storage: ReplicaStorage): Promise<KeyRecord[]> {
  const all: KeyRecord[] = []
  let batches = 0
  await storage.load((records) => {
    batches++
    for (const record of records) all.push(record)
  })
  assert(batches > 0 || all.length === 0, 'load() delivered records without calling onRecords')
  return all.sort(recordOrder)
}

/** Checks load() and get() against exactly `expected`, and the meta `open` returned against `meta`. */
async function expectState(storage: ReplicaStorage, expected: readonly KeyRecord[], what: string): Promise<void> {
  const loaded = await loadAll(storage)
  const want = [...expected].sort(recordOrder)
  assertEqual(loaded.length, want.length, `${what}: number of records from load()`)
  for (let i = 0; i < want.length; i++) {
    assertEqual(canonicalRecord(loaded[i]), canonicalRecord(want[i]), `${what}: record ${i} from load()`)
  }
  for (const record of want) {
    assertEqual(canonicalRecord(await storage.get(record.db, record.key)), canonicalRecord(record), `${what}: get(${record.db}, ${show(record.key)})`)
  }
}

async function expectAbsent(storage: ReplicaStorage, db: number, key: string, what: string): Promise<void> {
  assertEqual(await storage.get(db, key), undefined, `${what}: get(${db}, ${show(key)}) of a key that must be absent`)
}

const str = (value: string): PlainValue => ({ type: 'string', value })
const rec = (db: number, key: string, value: PlainValue | string, expireAt: number | null = null): KeyRecord => ({
  db,
  key,
  value: typeof value === 'string' ? str(value) : value,
  expireAt,
})
const set = (record: KeyRecord): StorageChange => ({ kind: 'set', record })
const meta = (offset: number, selectedDb = 0, replid = 'a'.repeat(40)): ReplicationMeta => ({ replid, offset, selectedDb })
const REPLID_B = 'b'.repeat(40)

/** A ByteString of `length` bytes cycling through all 256 byte values, starting at `start`. */
function bytePattern(length: number, start = 0): string {
  let out = ''
  const chunk: number[] = []
  for (let i = 0; i < length; i++) {
    chunk.push((start + i) & 0xff)
    if (chunk.length === 8192) {
      out += String.fromCharCode(...chunk)
      chunk.length = 0
    }
  }
  return out + String.fromCharCode(...chunk)
}

async function opened(storage: ReplicaStorage, expectedMeta: ReplicationMeta | null, what: string): Promise<ReplicaStorage> {
  assertEqual(await storage.open(), expectedMeta, `${what}: meta returned by open()`)
  return storage
}

function crash(harness: StorageHarness, previous: ReplicaStorage): Promise<ReplicaStorage> {
  if (harness.crash) return harness.crash(previous)
  const crashable = previous as Partial<CrashableStorage>
  assert(typeof crashable[kSimulateCrash] === 'function', 'the harness has no crash() and the adapter does not implement kSimulateCrash')
  crashable[kSimulateCrash]!()
  return harness.reopen(previous)
}

/** A deterministic mixed dataset of `count` records over dbs 0..2, every fifth with an expiry. */
function dataset(count: number, tag: string, valueBytes = 20): KeyRecord[] {
  const out: KeyRecord[] = []
  for (let i = 0; i < count; i++) {
    const value = `${tag}:${i}:`.padEnd(valueBytes, 'x')
    out.push(rec(i % 3, `key:${i}`, value, i % 5 === 0 ? 1_900_000_000_000 + i : null))
  }
  return out
}

async function fullSync(storage: ReplicaStorage, records: readonly KeyRecord[], m: ReplicationMeta, batch = 1000): Promise<void> {
  const writer = await storage.beginFullSync()
  for (let i = 0; i < records.length; i += batch) await writer.write(records.slice(i, i + batch))
  await writer.commit(m)
}

const ALL_TYPES: readonly KeyRecord[] = [
  rec(0, 'string', 'hello', 1_800_000_000_000),
  rec(0, 'list', { type: 'list', items: ['a', '', 'c', bytePattern(300, 7), 'a'] }, 1_800_000_000_001),
  rec(0, 'set', { type: 'set', members: ['x', 'y', '', bytePattern(70, 1)] }, 1_800_000_000_002),
  rec(0, 'int-set', { type: 'set', members: ['1', '2', '300', '-5', '70000', '9007199254740993'] }, null),
  rec(1, 'hash', { type: 'hash', fields: [['f1', 'v1'], ['', 'empty field'], ['empty value', ''], [bytePattern(256), bytePattern(256, 128)]] }, 1_800_000_000_003),
  rec(1, 'zset', { type: 'zset', entries: [['m1', 1.5], ['m2', -3], ['m3', Infinity], ['m4', -Infinity], ['m5', 0], ['m6', 1e300], ['m7', 2 ** 53]] }, 1_800_000_000_004),
  rec(2, 'int-string', '12345', null),
  rec(2, 'negative-expiry', 'already expired', 1),
]

// ─── Cases ──────────────────────────────────────────────────────────────────────────────────────

export const storageContractCases: ReadonlyArray<StorageContractCase> = [
  {
    name: 'open on an empty store returns null; load delivers nothing; get finds nothing',
    async run(h) {
      const s = await opened(await h.create(), null, 'fresh store')
      await expectState(s, [], 'fresh store')
      await expectAbsent(s, 0, 'missing', 'fresh store')
      await s.close()
    },
  },
  {
    name: 'commit then reopen: same records and meta',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const records = [rec(0, 'a', '1'), rec(0, 'b', '2', 1_900_000_000_000), rec(5, 'a', 'db five')]
      await s.commit(records.map(set), meta(100, 5))
      await expectState(s, records, 'after commit')
      s = await opened(await h.reopen(s), meta(100, 5), 'after reopen')
      await expectState(s, records, 'after reopen')
      await s.close()
    },
  },
  {
    name: 'an empty commit stores the meta (a PING moves the offset); offsets up to 2^53-1 and selectedDb -1',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit([rec(0, 'k', 'v')].map(set), meta(10, -1))
      await s.commit([], meta(24, -1))
      s = await opened(await h.reopen(s), meta(24, -1), 'after an empty commit')
      await s.commit([], meta(Number.MAX_SAFE_INTEGER, 15, REPLID_B))
      s = await opened(await h.reopen(s), meta(Number.MAX_SAFE_INTEGER, 15, REPLID_B), 'after a commit at 2^53-1')
      await expectState(s, [rec(0, 'k', 'v')], 'data kept')
      await s.close()
    },
  },
  {
    name: 'a commit applies set, delete, flush-db and flush-all in order, with its meta',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit(
        [rec(0, 'a', 'a0'), rec(0, 'b', 'b0'), rec(1, 'c', 'c1'), rec(1, 'd', 'd1'), rec(2, 'e', 'e2')].map(set),
        meta(50),
      )
      await s.commit(
        [
          set(rec(0, 'a', 'a-first')),
          set(rec(0, 'a', 'a-second', 1_900_000_000_000)),
          { kind: 'delete', db: 0, key: 'b' },
          { kind: 'delete', db: 0, key: 'never-existed' },
          set(rec(1, 'x', 'set before the flush')),
          { kind: 'flush-db', db: 1 },
          set(rec(1, 'd', 'd after flush')),
          set(rec(0, 'b', 'b again')),
          { kind: 'delete', db: 0, key: 'b' },
        ],
        meta(90, 1),
      )
      const expected = [rec(0, 'a', 'a-second', 1_900_000_000_000), rec(1, 'd', 'd after flush'), rec(2, 'e', 'e2')]
      await expectState(s, expected, 'after the ordered commit')
      await expectAbsent(s, 1, 'c', 'flushed db')
      await expectAbsent(s, 1, 'x', 'flushed db')
      await expectAbsent(s, 0, 'b', 'deleted after re-set')
      s = await opened(await h.reopen(s), meta(90, 1), 'after reopen')
      await expectState(s, expected, 'after reopen')

      await s.commit([set(rec(3, 'gone', 'soon')), { kind: 'flush-all' }, set(rec(2, 'after', 'all'))], meta(120, 2))
      await expectState(s, [rec(2, 'after', 'all')], 'after flush-all')
      s = await opened(await h.reopen(s), meta(120, 2), 'after reopen')
      await expectState(s, [rec(2, 'after', 'all')], 'after flush-all and reopen')
      await s.close()
    },
  },
  {
    name: 'a rejected commit applies nothing, not even its meta, and the store stays usable',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const before = [rec(0, 'a', 'a0'), rec(0, 'b', 'b0')]
      await s.commit(before.map(set), meta(10))
      // The third change cannot be stored (a key that is not a byte string): the first two must not be either.
      const bad: StorageChange[] = [
        set(rec(0, 'a', 'changed')),
        { kind: 'delete', db: 0, key: 'b' },
        set(rec(0, 'snow\u2603man', 'not a byte string')),
      ]
      await assertRejects(s.commit(bad, meta(20)), STORAGE_ERROR_CODES.input, 'commit with a non-byte-string key')
      await assertRejects(s.commit([{ kind: 'flush-db', db: -1 }], meta(20)), STORAGE_ERROR_CODES.input, 'flush-db of db -1')
      await assertRejects(s.commit([], { replid: '', offset: 20, selectedDb: 0 }), STORAGE_ERROR_CODES.input, 'empty replid')
      await assertRejects(s.commit([], meta(-1)), STORAGE_ERROR_CODES.input, 'negative offset')
      await expectState(s, before, 'after rejected commits')
      await s.commit([set(rec(0, 'c', 'c0'))], meta(30))
      s = await opened(await h.reopen(s), meta(30), 'after reopen')
      await expectState(s, [...before, rec(0, 'c', 'c0')], 'after reopen')
      await s.close()
    },
  },
  {
    name: 'a failed commit fails the commits queued behind it, unapplied; commits called afterwards work',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit([set(rec(0, 'a', 'a0'))], meta(10))
      // Called in one go, as a shell that does not await each commit would: b builds on the bad one.
      const bad = s.commit([set(rec(0, 'a', 'a1')), { kind: 'flush-db', db: 1 << 20 }], meta(20))
      const behind = s.commit([set(rec(0, 'b', 'b1'))], meta(30))
      const behind2 = s.commit([], meta(40))
      await assertRejects(bad, STORAGE_ERROR_CODES.input, 'the bad commit')
      await assertRejects(behind, STORAGE_ERROR_CODES.storage, 'a commit queued behind the bad one')
      await assertRejects(behind2, STORAGE_ERROR_CODES.storage, 'a second commit queued behind the bad one')
      await expectState(s, [rec(0, 'a', 'a0')], 'after the failed run')
      await s.commit([set(rec(0, 'c', 'c1'))], meta(50))
      s = await opened(await h.reopen(s), meta(50), 'after reopen')
      await expectState(s, [rec(0, 'a', 'a0'), rec(0, 'c', 'c1')], 'after reopen')
      await s.close()
    },
  },
  {
    name: 'commits not awaited one by one are applied in call order',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const pending: Promise<void>[] = []
      for (let i = 1; i <= 50; i++) {
        pending.push(s.commit([set(rec(0, 'counter', String(i))), set(rec(0, `k${i % 7}`, String(i)))], meta(i * 10)))
      }
      await Promise.all(pending)
      const expected = [rec(0, 'counter', '50')]
      for (let r = 0; r < 7; r++) expected.push(rec(0, `k${r}`, String(50 - ((50 - r) % 7))))
      await expectState(s, expected, 'after 50 pipelined commits')
      s = await opened(await h.reopen(s), meta(500), 'after reopen')
      await expectState(s, expected, 'after reopen')
      await s.close()
    },
  },
  {
    name: 'binary safety: all 256 byte values in keys and values, __proto__, empty strings',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const records: KeyRecord[] = []
      for (let b = 0; b < 256; b++) {
        const c = String.fromCharCode(b)
        records.push(rec(0, c, c), rec(0, `k${c}k`, `${c}${c}`), rec(1, `${c}\x00`, bytePattern(300, b)))
      }
      records.push(
        rec(2, '__proto__', '__proto__'),
        rec(2, 'constructor', 'constructor'),
        rec(2, 'hasOwnProperty', { type: 'hash', fields: [['__proto__', 'x'], ['constructor', '']] }),
        rec(2, '', ''),
        rec(3, bytePattern(256), bytePattern(1024)),
        rec(3, '\xff\xfe\x00\x01', { type: 'set', members: ['__proto__', '\x00', '\xff'] }),
        rec(3, 'toString', { type: 'list', items: ['__proto__', '', '\x00\xff'] }),
        rec(4, 'valueOf', { type: 'zset', entries: [['__proto__', 1], ['', 2], ['\x00\xff', 3]] }),
      )
      await s.commit(records.map(set), meta(1))
      await expectState(s, records, 'binary records')
      await expectAbsent(s, 0, '\x00\x00', 'a key that only shares a prefix')
      s = await opened(await h.reopen(s), meta(1), 'after reopen')
      await expectState(s, records, 'binary records after reopen')
      // Deleting them one by one by the same keys proves the stored keys are the exact bytes given.
      await s.commit(records.map((r) => ({ kind: 'delete', db: r.db, key: r.key })), meta(2))
      await expectState(s, [], 'after deleting every binary key')
      await s.close()
    },
  },
  {
    name: 'big values: a 1 MiB string, a 1 MiB hash field, a list of 50,000 items',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const records = [
        rec(0, 'big-string', bytePattern(1 << 20, 3), 1_900_000_000_000),
        rec(0, 'big-field', { type: 'hash', fields: [['f', bytePattern(1 << 20, 9)], ['g', 'small']] }),
        rec(0, 'long-list', { type: 'list', items: Array.from({ length: 50_000 }, (_, i) => `item-${i}`) }),
      ]
      await s.commit(records.map(set), meta(3))
      await expectState(s, records, 'big values')
      s = await opened(await h.reopen(s), meta(3), 'after reopen')
      await expectState(s, records, 'big values after reopen')
      await s.close()
    },
  },
  {
    name: 'all five types with expiries round-trip, through commit and through a full sync',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit(ALL_TYPES.map(set), meta(7, 1))
      await expectState(s, ALL_TYPES, 'after commit')
      s = await opened(await h.reopen(s), meta(7, 1), 'after reopen')
      await expectState(s, ALL_TYPES, 'after reopen')
      const renamed = ALL_TYPES.map((r) => ({ ...r, key: `fs:${r.key}` }))
      await fullSync(s, renamed, meta(8, 2, REPLID_B))
      await expectState(s, renamed, 'after full sync')
      s = await opened(await h.reopen(s), meta(8, 2, REPLID_B), 'after full sync and reopen')
      await expectState(s, renamed, 'after full sync and reopen')
      await s.close()
    },
  },
  {
    name: 'stored records are copies: mutating what was committed or returned changes nothing',
    async run(h) {
      const s = await opened(await h.create(), null, 'fresh store')
      const items = ['a', 'b']
      const fields: [string, string][] = [['f', 'v']]
      const m = { ...meta(5) }
      await s.commit([set(rec(0, 'l', { type: 'list', items })), set(rec(0, 'h', { type: 'hash', fields }))], m)
      items.push('mutated')
      fields[0]![1] = 'mutated'
      m.offset = 999
      const got = await s.get(0, 'l')
      assert(got !== undefined, 'get(0, "l") found nothing')
      try {
        ;(got.value as unknown as { items: string[] }).items.push('mutated after get')
      } catch {
        // A frozen copy is fine too.
      }
      await expectState(s, [rec(0, 'l', { type: 'list', items: ['a', 'b'] }), rec(0, 'h', { type: 'hash', fields: [['f', 'v']] })], 'after mutations')
      const again = await h.reopen(s)
      assertEqual(await again.open(), meta(5), 'meta after mutating the object passed to commit')
      await again.close()
    },
  },
  {
    name: 'full sync replaces everything atomically: old data readable until commit, only new data after',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const old = dataset(300, 'old')
      await s.commit(old.map(set), meta(1000, 1))
      const fresh = dataset(200, 'new').map((r, i) => (i % 2 === 0 ? r : { ...r, key: `only-new:${i}` }))
      const writer = await s.beginFullSync()
      await writer.write(fresh.slice(0, 120))
      // Mid-sync: reads, load and a restart-free reopen of the meta all still see the old generation.
      await expectState(s, old, 'during the full sync')
      await expectAbsent(s, fresh[1]!.db, fresh[1]!.key, 'during the full sync, a key only the new generation has')
      await writer.write(fresh.slice(120))
      await writer.commit(meta(5000, 0, REPLID_B))
      await expectState(s, fresh, 'after the full sync')
      await expectAbsent(s, old[1]!.db, old[1]!.key, 'after the full sync, a key only the old generation had')
      s = await opened(await h.reopen(s), meta(5000, 0, REPLID_B), 'after reopen')
      await expectState(s, fresh, 'after reopen')
      // The new generation takes commits like any other.
      await s.commit([set(rec(0, 'after-sync', 'x')), { kind: 'delete', db: fresh[0]!.db, key: fresh[0]!.key }], meta(5010, 0, REPLID_B))
      s = await opened(await h.reopen(s), meta(5010, 0, REPLID_B), 'after a commit on the new generation')
      await expectState(s, [...fresh.slice(1), rec(0, 'after-sync', 'x')], 'after a commit on the new generation')
      await s.close()
    },
  },
  {
    name: 'a full sync into an empty store, of an empty dataset, and one over a flushed store',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const writer = await s.beginFullSync()
      await writer.commit(meta(0))
      s = await opened(await h.reopen(s), meta(0), 'after an empty full sync')
      await expectState(s, [], 'after an empty full sync')
      const records = dataset(10, 'x')
      await fullSync(s, records, meta(10))
      await s.commit([{ kind: 'flush-all' }], meta(20))
      await fullSync(s, records, meta(30))
      s = await opened(await h.reopen(s), meta(30), 'after the second full sync')
      await expectState(s, records, 'after the second full sync')
      await s.close()
    },
  },
  {
    name: 'a commit called right after a full sync commit (not awaited) applies to the new generation',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit([set(rec(0, 'old', '1'))], meta(10))
      const writer = await s.beginFullSync()
      await writer.write([rec(0, 'new', '1'), rec(0, 'gone', 'x')])
      const switched = writer.commit(meta(100, -1, REPLID_B))
      const after = s.commit([set(rec(0, 'stream', 'after snapshot')), { kind: 'delete', db: 0, key: 'gone' }], meta(130, 0, REPLID_B))
      await Promise.all([switched, after])
      const expected = [rec(0, 'new', '1'), rec(0, 'stream', 'after snapshot')]
      await expectState(s, expected, 'after the switch and the following commit')
      s = await opened(await h.reopen(s), meta(130, 0, REPLID_B), 'after reopen')
      await expectState(s, expected, 'after reopen')
      await s.close()
    },
  },
  {
    name: 'commits during a full sync go to the old generation and are replaced by the new one',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit([set(rec(0, 'old', '1'))], meta(10))
      const writer = await s.beginFullSync()
      await writer.write([rec(0, 'new', '1')])
      await s.commit([set(rec(0, 'old', '2')), set(rec(0, 'old-2', 'x'))], meta(20))
      await expectState(s, [rec(0, 'old', '2'), rec(0, 'old-2', 'x')], 'old generation after a commit during the sync')
      await writer.write([rec(0, 'new-2', '2')])
      await writer.commit(meta(100, 0, REPLID_B))
      await expectState(s, [rec(0, 'new', '1'), rec(0, 'new-2', '2')], 'after the full sync')
      s = await opened(await h.reopen(s), meta(100, 0, REPLID_B), 'after reopen')
      await expectState(s, [rec(0, 'new', '1'), rec(0, 'new-2', '2')], 'after reopen')
      await s.close()
    },
  },
  {
    name: 'a key repeated within a full sync keeps its last record',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const writer = await s.beginFullSync()
      await writer.write([rec(0, 'k', 'first'), rec(0, 'other', 'o')])
      await writer.write([rec(0, 'k', 'second', 1_900_000_000_000)])
      await writer.commit(meta(10))
      const expected = [rec(0, 'k', 'second', 1_900_000_000_000), rec(0, 'other', 'o')]
      await expectState(s, expected, 'after the full sync')
      s = await opened(await h.reopen(s), meta(10), 'after reopen')
      await expectState(s, expected, 'after reopen')
      await s.close()
    },
  },
  {
    name: 'a full-sync write with a bad record stores none of its batch; the writer stays usable',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const writer = await s.beginFullSync()
      await writer.write([rec(0, 'a', '1')])
      await assertRejects(
        writer.write([rec(0, 'b', '2'), rec(0, 'c', { type: 'list', items: [] })]),
        STORAGE_ERROR_CODES.input,
        'a write with an empty list',
      )
      await assertRejects(
        writer.write([rec(0, 'd', { type: 'zset', entries: [['m', Number.NaN]] })]),
        STORAGE_ERROR_CODES.input,
        'a write with a NaN score',
      )
      await writer.write([rec(0, 'e', '5')])
      await writer.commit(meta(10))
      s = await opened(await h.reopen(s), meta(10), 'after reopen')
      await expectState(s, [rec(0, 'a', '1'), rec(0, 'e', '5')], 'after reopen')
      await s.close()
    },
  },
  {
    name: 'abort drops the new generation; the old one stays current; the writer then rejects',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const old = dataset(50, 'old')
      await s.commit(old.map(set), meta(10))
      const writer = await s.beginFullSync()
      await writer.write(dataset(80, 'new'))
      await writer.abort()
      await writer.abort()
      await expectState(s, old, 'after abort')
      await assertRejects(writer.write([rec(0, 'late', 'x')]), STORAGE_ERROR_CODES.storage, 'write after abort')
      await assertRejects(writer.commit(meta(20)), STORAGE_ERROR_CODES.storage, 'commit after abort')
      s = await opened(await h.reopen(s), meta(10), 'after abort and reopen')
      await expectState(s, old, 'after abort and reopen')
      const next = dataset(30, 'next')
      await fullSync(s, next, meta(40))
      await expectState(s, next, 'after a full sync following the abort')
      await s.close()
    },
  },
  {
    name: 'beginning a full sync aborts the unfinished one',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit([set(rec(0, 'old', 'x'))], meta(1))
      const first = await s.beginFullSync()
      await first.write([rec(0, 'first', 'x')])
      const second = await s.beginFullSync()
      await assertRejects(first.write([rec(0, 'first-2', 'x')]), STORAGE_ERROR_CODES.storage, 'write to a superseded writer')
      await assertRejects(first.commit(meta(2)), STORAGE_ERROR_CODES.storage, 'commit of a superseded writer')
      await second.write([rec(0, 'second', 'x')])
      await second.commit(meta(3))
      await expectState(s, [rec(0, 'second', 'x')], 'after the second full sync')
      s = await opened(await h.reopen(s), meta(3), 'after reopen')
      await expectState(s, [rec(0, 'second', 'x')], 'after reopen')
      await s.close()
    },
  },
  {
    name: 'crash mid full sync: the old generation and meta are intact, and a later full sync works',
    requires: 'crash',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const old = dataset(400, 'old')
      await s.commit(old.map(set), meta(700, 2))
      const writer = await s.beginFullSync()
      for (let i = 0; i < 3; i++) await writer.write(dataset(500, `new-${i}`).map((r) => ({ ...r, key: `${r.key}:${i}` })))
      s = await opened(await crash(h, s), meta(700, 2), 'after a crash mid full sync')
      await expectState(s, old, 'after a crash mid full sync')
      const next = dataset(250, 'next')
      await fullSync(s, next, meta(900, 1, REPLID_B), 100)
      await expectState(s, next, 'after a later full sync')
      s = await opened(await h.reopen(s), meta(900, 1, REPLID_B), 'after reopen')
      await expectState(s, next, 'after reopen')
      await s.close()
    },
  },
  {
    name: 'crash right after commits: every resolved commit is there',
    requires: 'crash',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await fullSync(s, dataset(100, 'base'), meta(100))
      const expected = new Map(dataset(100, 'base').map((r) => [`${r.db}:${r.key}`, r]))
      for (let i = 0; i < 30; i++) {
        const r = rec(i % 3, `key:${i * 3}`, `update-${i}`)
        expected.set(`${r.db}:${r.key}`, r)
        await s.commit([set(r)], meta(100 + i + 1))
      }
      s = await opened(await crash(h, s), meta(130), 'after a crash')
      await expectState(s, [...expected.values()], 'after a crash')
      await s.close()
    },
  },
  {
    name: 'many commits then reopen: state equal (for file: across compactions)',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const model = new Map<string, KeyRecord>()
      let offset = 0
      for (let i = 0; i < 400; i++) {
        const changes: StorageChange[] = []
        for (let j = 0; j < 10; j++) {
          const n = (i * 7 + j * 13) % 600
          const r = rec(n % 4, `k${n}`, `v${i}.${j}:`.padEnd(200, String.fromCharCode(i & 0xff)), j % 3 === 0 ? 1_900_000_000_000 + i : null)
          changes.push(set(r))
          model.set(`${r.db}:${r.key}`, r)
        }
        if (i % 10 === 9) {
          const n = (i * 11) % 600
          changes.push({ kind: 'delete', db: n % 4, key: `k${n}` })
          model.delete(`${n % 4}:k${n}`)
        }
        if (i === 200) {
          changes.push({ kind: 'flush-db', db: 3 })
          for (const k of [...model.keys()]) if (k.startsWith('3:')) model.delete(k)
        }
        offset += 1000
        await s.commit(changes, meta(offset, i % 4))
      }
      await expectState(s, [...model.values()], 'after 400 commits')
      s = await opened(await h.reopen(s), meta(offset, 399 % 4), 'after reopen')
      await expectState(s, [...model.values()], 'after 400 commits and reopen')
      await s.close()
    },
  },
  {
    name: 'get on a large store (50,000 keys) is answered without a full scan',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      const records = dataset(50_000, 'big', 40)
      await fullSync(s, records, meta(1), 5000)
      s = await opened(await h.reopen(s), meta(1), 'after reopen')
      // 200 gets against one full load: a get that scanned would cost about one load each, so 200 of
      // them would take ~200 loads. An indexed get is far below the bound of 10 loads.
      let started = performance.now()
      for (let i = 0; i < 200; i++) {
        const r = records[(i * 7919) % records.length]!
        assertEqual(canonicalRecord(await s.get(r.db, r.key)), canonicalRecord(r), `get #${i}`)
      }
      const getsMs = performance.now() - started
      started = performance.now()
      let count = 0
      await s.load((batch) => {
        count += batch.length
      })
      const loadMs = performance.now() - started
      assertEqual(count, records.length, 'records delivered by load()')
      assert(
        getsMs < Math.max(10 * loadMs, 50),
        `200 get() calls took ${getsMs.toFixed(1)} ms, more than 10 full loads (${loadMs.toFixed(1)} ms each): get() appears to scan the store`,
      )
      await s.close()
    },
  },
  {
    name: 'quota exceeded on commit: StorageQuotaError, previous state intact and usable',
    requires: 'createLimited',
    async run(h) {
      let s = await opened(await h.createLimited!(256 * 1024), null, 'limited store')
      const before = [rec(0, 'small', 'x'.repeat(1000)), rec(1, 'other', 'y')]
      await s.commit(before.map(set), meta(10))
      const error = await assertRejects(
        s.commit([set(rec(0, 'small', 'changed')), set(rec(0, 'huge', bytePattern(512 * 1024)))], meta(20)),
        STORAGE_ERROR_CODES.quota,
        'a commit over the limit',
      )
      assert(/\d/.test(error.message), `the quota error should state the numbers, got: ${error.message}`)
      await expectState(s, before, 'after the rejected commit')
      await s.commit([set(rec(0, 'small', 'after'))], meta(30))
      const after = [rec(0, 'small', 'after'), rec(1, 'other', 'y')]
      await expectState(s, after, 'after a commit following the quota error')
      s = await opened(await h.reopen(s), meta(30), 'after reopen')
      await expectState(s, after, 'after reopen')
      await s.close()
    },
  },
  {
    name: 'quota exceeded during a full sync: the write rejects, abort keeps the old generation',
    requires: 'createLimited',
    async run(h) {
      let s = await opened(await h.createLimited!(256 * 1024), null, 'limited store')
      const old = dataset(20, 'old')
      await s.commit(old.map(set), meta(10))
      const writer = await s.beginFullSync()
      let rejected: Error | undefined
      try {
        for (let i = 0; i < 100; i++) await writer.write(dataset(100, `new${i}`, 500).map((r) => ({ ...r, key: `${r.key}:${i}` })))
      } catch (error) {
        rejected = error as Error
      }
      assert(rejected !== undefined, 'writing 5 MB into a 256 KiB store should reject')
      assertEqual((rejected as { code?: unknown }).code, STORAGE_ERROR_CODES.quota, 'code of the full sync write rejection')
      await assertRejects(writer.commit(meta(20)), STORAGE_ERROR_CODES.quota, 'commit of a full sync that hit the quota')
      await writer.abort()
      await expectState(s, old, 'after the aborted full sync')
      await s.commit([set(rec(0, 'still', 'works'))], meta(30))
      s = await opened(await h.reopen(s), meta(30), 'after reopen')
      await expectState(s, [...old, rec(0, 'still', 'works')], 'after reopen')
      await s.close()
    },
  },
  {
    name: 'torn log tail: the last complete commit is recovered, and commits continue after it',
    requires: 'tearTail',
    async run(h) {
      let s = await opened(await h.create(), null, 'fresh store')
      await s.commit([set(rec(0, 'a', '1'))], meta(10))
      await s.commit([set(rec(0, 'b', '2'))], meta(20))
      for (const tear of [1, 9, 100, 4000]) {
        await s.commit([set(rec(0, 'b', `torn-${tear}`)), set(rec(0, 'c', bytePattern(5000)))], meta(30))
        s = await crash(h, s)
        await h.tearTail!(tear)
        s = await opened(s, meta(20), `after tearing ${tear} bytes off the last commit`)
        await expectState(s, [rec(0, 'a', '1'), rec(0, 'b', '2')], `after tearing ${tear} bytes`)
      }
      await s.commit([set(rec(0, 'd', '4'))], meta(40))
      s = await opened(await h.reopen(s), meta(40), 'after a commit following the torn tail')
      await expectState(s, [rec(0, 'a', '1'), rec(0, 'b', '2'), rec(0, 'd', '4')], 'after a commit following the torn tail')
      await s.close()
    },
  },
  {
    name: 'use after close rejects with StorageClosedError; close is idempotent',
    async run(h) {
      const s = await opened(await h.create(), null, 'fresh store')
      await s.commit([set(rec(0, 'a', '1'))], meta(1))
      const writer = await s.beginFullSync()
      await s.close()
      await s.close()
      const closed = STORAGE_ERROR_CODES.closed
      await assertRejects(s.get(0, 'a'), closed, 'get after close')
      await assertRejects(s.load(() => {}), closed, 'load after close')
      await assertRejects(s.commit([], meta(2)), closed, 'commit after close')
      await assertRejects(s.beginFullSync(), closed, 'beginFullSync after close')
      await assertRejects(s.open(), closed, 'open after close')
      await assertRejects(writer.write([rec(0, 'b', '2')]), closed, 'write of a full sync begun before close')
      await assertRejects(writer.commit(meta(2)), closed, 'commit of a full sync begun before close')
      await writer.abort()
      const again = await opened(await h.reopen(s), meta(1), 'after close and reopen')
      await expectState(again, [rec(0, 'a', '1')], 'after close and reopen')
      await again.close()
    },
  },
]

// ─── Running ────────────────────────────────────────────────────────────────────────────────────

export interface StorageCaseResult {
  readonly name: string
  readonly status: 'passed' | 'failed' | 'skipped'
  readonly ms: number
  readonly error?: Error
}

/** True when `harness` can run `contractCase` (it has what the case requires). */
export function harnessSupports(harness: StorageHarness, contractCase: StorageContractCase): boolean {
  if (contractCase.requires === undefined) return true
  if (contractCase.requires === 'crash') return true // every adapter implements kSimulateCrash
  return typeof harness[contractCase.requires] === 'function'
}

/**
 * Runs one case against a fresh harness and disposes of it, whatever happens. Throws what the case
 * throws. Returns false when the harness lacks what the case requires (nothing was run).
 */
export async function runStorageContractCase(
  makeHarness: () => StorageHarness | Promise<StorageHarness>,
  contractCase: StorageContractCase,
): Promise<boolean> {
  const harness = await makeHarness()
  try {
    if (!harnessSupports(harness, contractCase)) return false
    await contractCase.run(harness)
    return true
  } finally {
    await harness.dispose?.()
  }
}

/**
 * Runs every case (or those whose name contains `filter`), one after the other, each with a fresh
 * harness; never throws. For a browser page: `runStorageContractCases(() => idbHarness())`.
 */
export async function runStorageContractCases(
  makeHarness: () => StorageHarness | Promise<StorageHarness>,
  options: { filter?: string; onResult?: (result: StorageCaseResult) => void } = {},
): Promise<StorageCaseResult[]> {
  const results: StorageCaseResult[] = []
  for (const contractCase of storageContractCases) {
    if (options.filter !== undefined && !contractCase.name.includes(options.filter)) continue
    const started = performance.now()
    let result: StorageCaseResult
    try {
      const ran = await runStorageContractCase(makeHarness, contractCase)
      result = { name: contractCase.name, status: ran ? 'passed' : 'skipped', ms: performance.now() - started }
    } catch (error) {
      result = {
        name: contractCase.name,
        status: 'failed',
        ms: performance.now() - started,
        error: error instanceof Error ? error : new Error(String(error)),
      }
    }
    results.push(result)
    options.onResult?.(result)
  }
  return results
}
