// Dataset throughput (core/store), a quick sanity check: `npx tsx bench/store.ts` (BENCH_KEYS to
// change the size). Each figure comes with a yardstick measured in the same run (DESIGN §9): the
// same work on a bare JS Map, the ceiling for any JS dataset. Rates are the best of 3 rounds.
//
//   SET through execute()        target > 1M ops/s
//   GET through execute()
//   snapshot cursor over 1M keys (idle, and with writes landing during the walk)
//   DEBUG DIGEST of 1M keys
import { Dataset } from '../packages/core/src/store/index.ts'

const N = Number(process.env.BENCH_KEYS ?? 1_000_000)
const ROUNDS = 3
const VALUE = 'v'.repeat(100)
const NOW = 1_700_000_000_000

function time(fn: () => void): number {
  const start = performance.now()
  fn()
  return (performance.now() - start) / 1000
}

function best(fn: () => void): number {
  let seconds = Infinity
  for (let round = 0; round < ROUNDS; round++) seconds = Math.min(seconds, time(fn))
  return seconds
}

function rate(n: number, seconds: number): string {
  return `${Math.round(n / seconds).toLocaleString('en-US')} /s`
}

function line(name: string, n: number, seconds: number, yardstick: number | null): void {
  const ratio = yardstick === null ? '' : `  (bare Map: ${rate(n, yardstick)}, ratio ${(yardstick / seconds).toFixed(2)})`
  console.log(`${name.padEnd(44)} ${rate(n, seconds).padStart(16)}  ${seconds.toFixed(3)} s${ratio}`)
}

// Fresh key strings for every round: a real server decodes new strings, whose hashes are not cached.
const freshKeys = (): string[] => Array.from({ length: N }, (_, i) => `key:${i}`.slice(0))
const argvs = (keys: readonly string[], name: string, value?: string): string[][] =>
  keys.map((key) => (value === undefined ? [name, key] : [name, key, value]))

console.log(`core/store, ${N.toLocaleString('en-US')} keys, 100-byte values, node ${process.version}`)

// ---- SET, new keys --------------------------------------------------------------------------
let bareSet = Infinity
let datasetSet = Infinity
for (let round = 0; round < ROUNDS; round++) {
  const keys = freshKeys()
  let bare: Map<string, { value: string }> | null = new Map()
  bareSet = Math.min(bareSet, time(() => {
    for (let i = 0; i < N; i++) bare!.set(keys[i]!, { value: VALUE })
  }))
  bare = null
  const argv = argvs(freshKeys(), 'SET', VALUE)
  const ds = new Dataset()
  const session = ds.createSession()
  datasetSet = Math.min(datasetSet, time(() => {
    for (let i = 0; i < N; i++) ds.execute(session, argv[i]!, NOW)
  }))
}
line('SET (new keys) via execute()', N, datasetSet, bareSet)

// ---- SET overwrite, GET ---------------------------------------------------------------------
const ds = new Dataset()
const session = ds.createSession()
const keys = freshKeys()
const setArgv = argvs(keys, 'SET', VALUE)
for (let i = 0; i < N; i++) ds.execute(session, setArgv[i]!, NOW)
const bare = new Map<string, { value: string }>()
for (let i = 0; i < N; i++) bare.set(keys[i]!, { value: VALUE })
line('SET (overwrite) via execute()', N, best(() => {
  for (let i = 0; i < N; i++) ds.execute(session, setArgv[i]!, NOW)
}), best(() => {
  for (let i = 0; i < N; i++) bare.set(keys[i]!, { value: VALUE })
}))
const getArgv = argvs(keys, 'GET')
line('GET via execute()', N, best(() => {
  for (let i = 0; i < N; i++) ds.execute(session, getArgv[i]!, NOW)
}), best(() => {
  let hits = 0
  for (let i = 0; i < N; i++) if (bare.get(keys[i]!) !== undefined) hits++
  if (hits !== N) throw new Error('bare map lost keys')
}))

// ---- snapshots ------------------------------------------------------------------------------
const SLICE = 1000
const bareIterate = best(() => {
  let count = 0
  for (const entry of bare) if (entry[1].value.length > 0) count++
  if (count !== N) throw new Error('bare map iteration')
})
line(`snapshot cursor, next(${SLICE}), idle`, N, best(() => {
  let records = 0
  const cursor = ds.beginSnapshot()
  for (let batch = cursor.next(SLICE); batch !== null; batch = cursor.next(SLICE)) records += batch.length
  if (records !== N) throw new Error(`snapshot yielded ${records} records, expected ${N}`)
}), bareIterate)

// Writes interleaved with the walk: after each slice, 100 overwrites spread over the keyspace (about
// half land on keys not visited yet, whose old values copy-on-write must keep).
let writes = 0
let maxPreserved = 0
line(`snapshot cursor, next(${SLICE}) + 100 writes/slice`, N, best(() => {
  let records = 0
  writes = 0
  const cursor = ds.beginSnapshot()
  let k = 0
  for (let batch = cursor.next(SLICE); batch !== null; batch = cursor.next(SLICE)) {
    records += batch.length
    for (let w = 0; w < 100; w++) {
      k = (k + 7919) % N
      ds.execute(session, setArgv[k]!, NOW)
      writes++
    }
    maxPreserved = Math.max(maxPreserved, cursor.preservedKeys)
  }
  if (records !== N) throw new Error(`snapshot yielded ${records} records, expected ${N}`)
}), bareIterate)
console.log(`${''.padEnd(44)} (${writes.toLocaleString('en-US')} writes during each walk, at most ${maxPreserved.toLocaleString('en-US')} old values kept at once)`)

line('digest() (DEBUG DIGEST)', N, time(() => {
  ds.digest()
}), null)
