// The browser half of bench/browser.ts: the yardsticks (raw IndexedDB doing the same work as the
// replica, DESIGN §9), a main-thread gap probe, and the "first key readable after navigation" probe,
// which runs as the page's first module code when the URL asks for it (?firstKey=<key>&name=<replica>).
import { writeRdbValue } from '@replicast/core'
import { createBrowserReplica } from '@replicast/replica/browser'

/** The bench's records: key:<i, 7 digits> → a 100-byte string (bench/browser.ts writes the same to the master). */
export const benchKey = (i: number): string => `key:${String(i).padStart(7, '0')}`
export const benchValue = (i: number, bytes = 100): string => `${i}:`.padEnd(bytes, 'x')

function open(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1)
    request.onupgradeneeded = () => {
      request.result.createObjectStore('records')
      request.result.createObjectStore('meta')
    }
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = () => reject(tx.error)
    tx.onerror = () => reject(tx.error)
  })
}

function drop(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => resolve()
    request.onblocked = () => resolve()
  })
}

// ── Gap probe ──────────────────────────────────────────────────────────────────────────────────────

interface Probe {
  maxGapMs: number
  last: number
  maxFrameGapMs: number
  lastFrame: number
  frame: number
  timer: ReturnType<typeof setTimeout> | undefined
  longTaskMaxMs: number
  longTasks: number
  observer: PerformanceObserver | null
}

let probe: Probe | null = null

/** Measures the longest the main thread went without running a 0 ms timer, and long tasks. */
function startProbe(): void {
  stopProbe()
  const p: Probe = { maxGapMs: 0, last: performance.now(), maxFrameGapMs: 0, lastFrame: performance.now(), frame: 0, timer: undefined, longTaskMaxMs: 0, longTasks: 0, observer: null }
  const onFrame = () => {
    const now = performance.now()
    p.maxFrameGapMs = Math.max(p.maxFrameGapMs, now - p.lastFrame)
    p.lastFrame = now
    p.frame = requestAnimationFrame(onFrame)
  }
  p.frame = requestAnimationFrame(onFrame)
  const tick = () => {
    const now = performance.now()
    p.maxGapMs = Math.max(p.maxGapMs, now - p.last)
    p.last = now
    p.timer = setTimeout(tick, 0)
  }
  p.timer = setTimeout(tick, 0)
  try {
    p.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        p.longTasks++
        p.longTaskMaxMs = Math.max(p.longTaskMaxMs, entry.duration)
      }
    })
    p.observer.observe({ type: 'longtask', buffered: false })
  } catch {
    p.observer = null
  }
  probe = p
}

export interface ProbeResult {
  /** Longest time between two runs of a 0 ms timer. */
  readonly maxGapMs: number
  /** Longest time between two animation frames. */
  readonly maxFrameGapMs: number
  /** Longest task the browser reported (longtask entries are tasks over 50 ms). */
  readonly longTaskMaxMs: number
  readonly longTasks: number
}

function stopProbe(): ProbeResult {
  const p = probe
  probe = null
  if (p === null) return { maxGapMs: 0, maxFrameGapMs: 0, longTaskMaxMs: 0, longTasks: 0 }
  clearTimeout(p.timer)
  cancelAnimationFrame(p.frame)
  p.observer?.disconnect()
  const now = performance.now()
  return { maxGapMs: Math.max(p.maxGapMs, now - p.last), maxFrameGapMs: Math.max(p.maxFrameGapMs, now - p.lastFrame), longTaskMaxMs: p.longTaskMaxMs, longTasks: p.longTasks }
}

// ── First key after navigation ─────────────────────────────────────────────────────────────────────

export interface FirstKeyResult {
  readonly key: string
  readonly value: string | null
  /** performance.now() when the read resolved: ms since navigation start. */
  readonly readableMs: number
  /** ms since navigation start until the whole store was loaded into memory. */
  readonly loadedMs: number | null
  readonly probe: ProbeResult | null
}

let firstKey: FirstKeyResult | null = null

const params = new URLSearchParams(location.search)
const firstKeyParam = params.get('firstKey')
if (firstKeyParam !== null) {
  startProbe()
  void (async () => {
    const replica = await createBrowserReplica({ url: params.get('url') ?? 'ws://127.0.0.1:1/replication', name: params.get('name') ?? 'replicast', autoConnect: false })
    const value = await replica.get(firstKeyParam)
    const readableMs = performance.now()
    firstKey = { key: firstKeyParam, value, readableMs, loadedMs: null, probe: null }
    await replica.ready
    firstKey = { ...firstKey, loadedMs: performance.now(), probe: stopProbe() }
    await replica.close()
  })()
}

// ── Yardsticks ─────────────────────────────────────────────────────────────────────────────────────

export const benchApi = {
  startProbe,
  stopProbe,
  firstKeyResult: (): FirstKeyResult | null => firstKey,

  /** Raw IndexedDB: `count` puts of the bench's records in transactions of `perTransaction`, relaxed. Returns ms. */
  async rawPuts(count: number, perTransaction = 10_000, valueBytes = 100): Promise<number> {
    const name = 'bench-raw-puts'
    await drop(name)
    const db = await open(name)
    const started = performance.now()
    let pending: Promise<void> | null = null
    for (let start = 0; start < count; start += perTransaction) {
      const tx = db.transaction('records', 'readwrite', { durability: 'relaxed' })
      const store = tx.objectStore('records')
      const end = Math.min(count, start + perTransaction)
      for (let i = start; i < end; i++) store.put({ v: writeRdbValue({ type: 'string', value: benchValue(i, valueBytes) }) }, [1, 0, benchKey(i)])
      // One transaction in flight while the next is built, as the adapter's full sync does.
      if (pending !== null) await pending
      pending = done(tx)
    }
    await pending
    const ms = performance.now() - started
    db.close()
    await drop(name)
    return ms
  },

  /**
   * Raw IndexedDB, coalesced: `updates` writes of the bench's records (keys cycling through
   * `keySpace`), at most `perTransaction` per transaction, each transaction also putting the offset
   * (as a replica's meta). Returns ms.
   */
  async rawCoalesced(updates: number, keySpace: number, perTransaction = 1000, valueBytes = 100): Promise<number> {
    const name = 'bench-raw-coalesced'
    await drop(name)
    const db = await open(name)
    const started = performance.now()
    let offset = 0
    for (let start = 0; start < updates; start += perTransaction) {
      const tx = db.transaction(['records', 'meta'], 'readwrite', { durability: 'relaxed' })
      const store = tx.objectStore('records')
      const end = Math.min(updates, start + perTransaction)
      for (let i = start; i < end; i++) {
        const k = i % keySpace
        store.put({ v: writeRdbValue({ type: 'string', value: benchValue(i, valueBytes) }) }, [0, 0, benchKey(k)])
        offset += 40 + valueBytes
      }
      tx.objectStore('meta').put({ format: 1, generation: 0, replid: 'f'.repeat(40), offset, selectedDb: 0 }, 'current')
      await done(tx)
    }
    const ms = performance.now() - started
    db.close()
    await drop(name)
    return ms
  },

  /** Deletes a database (between bench runs). */
  drop,
}
