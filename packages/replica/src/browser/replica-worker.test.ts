// The replica worker when its IndexedDB store is lost under it (fake-indexeddb): another connection
// upgrades or deletes the database. The loss is reported (an 'error' event, which the page turns into
// status.lastError), and the worker starts a new replica on a new connection that resumes from what is
// durable; when the database can no longer be opened (a newer schema version took it over), the view
// says the replica stopped and why, and reads go on from memory. A loss that strikes the new
// connection while the recovery is still opening it is recovered from too.
import 'fake-indexeddb/auto'
import { afterEach, describe, expect, onTestFinished, test, vi } from 'vitest'
import { openDatabaseAt } from '../storage/idb-test-util.ts'
import { createIndexedDbStorage, INDEXEDDB_SCHEMA_VERSION } from '../storage/indexeddb.ts'
import { STORAGE_ERROR_CODES, type ReplicationMeta } from '../storage/storage.ts'
import type { EngineEvent, EngineOutput, EngineRequest, EngineView } from './engine-protocol.ts'
import { REOPEN_LIMIT, ReplicaEngine } from './replica-worker.ts'

const REPLID = 'a'.repeat(40)
const meta = (offset: number): ReplicationMeta => ({ replid: REPLID, offset, selectedDb: 0 })

let databases = 0

/** A store holding `greeting` = 'hello' at offset 100 of REPLID, as a leader left it. */
async function seededStore(): Promise<string> {
  const name = `worker-lost-${databases++}`
  const storage = createIndexedDbStorage({ name })
  await storage.open()
  await storage.commit([{ kind: 'set', record: { db: 0, key: 'greeting', value: { type: 'string', value: 'hello' }, expireAt: null } }], meta(100))
  await storage.close()
  return name
}

/** A ReplicaEngine driven as a page drives it (engine-protocol.ts), recording what it posts. */
class Harness {
  readonly events: EngineEvent[] = []
  readonly #replies = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  readonly #watchers = new Set<() => void>()
  readonly engine = new ReplicaEngine((message: EngineOutput) => this.#receive(message))
  #id = 0

  #receive(message: EngineOutput): void {
    if ('id' in message) {
      const reply = this.#replies.get(message.id)
      this.#replies.delete(message.id)
      if (message.ok) reply?.resolve(message.value)
      else reply?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }))
    } else {
      this.events.push(message)
      // As the page does: a view with a seq holds the link's frames until it is acknowledged.
      if (message.event === 'view' && message.seq !== null) this.engine.receive({ op: 'ack', seq: message.seq })
    }
    for (const watcher of [...this.#watchers]) watcher()
  }

  request(request: EngineRequest): Promise<unknown> {
    const id = ++this.#id
    return new Promise((resolve, reject) => {
      this.#replies.set(id, { resolve, reject })
      this.engine.receive({ id, ...request })
    })
  }

  get view(): EngineView | null {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const event = this.events[i]!
      if (event.event === 'view') return event.view
    }
    return null
  }

  /** Resolves once `condition` holds, checked after every message the engine posts. */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve()
    return new Promise((resolve) => {
      const watcher = () => {
        if (!condition()) return
        this.#watchers.delete(watcher)
        resolve()
      }
      this.#watchers.add(watcher)
    })
  }

  errors(): { code: string | null; message: string }[] {
    return this.events.flatMap((event) => (event.event === 'error' ? [{ code: event.error.code, message: event.error.message }] : []))
  }

  async lead(name: string): Promise<void> {
    // relaySocket: no socket is opened without connecting, and Node 20 has no global WebSocket.
    await this.request({ op: 'init', name, options: { url: 'ws://127.0.0.1:9/replication' }, idb: {}, clock: 0, relaySocket: true })
    await this.request({ op: 'lead', connect: false })
    await this.request({ op: 'ready' })
  }

  get(key: string): Promise<unknown> {
    return this.request({ op: 'read', args: ['GET', key], db: 0, encoding: 'utf8' })
  }
}

/**
 * Calls `onOpen(n)` when the engine's n-th connection to `name` has opened (an open at the schema's
 * version: the engine's, not openDatabaseAt's), before the engine has read anything through it.
 * Returns how many there were so far.
 */
function onEngineOpen(name: string, onOpen: (n: number) => void): () => number {
  const open = indexedDB.open.bind(indexedDB)
  let opens = 0
  const spy = vi.spyOn(indexedDB, 'open').mockImplementation((dbName: string, version?: number) => {
    const request = open(dbName, version)
    if (dbName === name && version === INDEXEDDB_SCHEMA_VERSION) {
      const n = ++opens
      request.addEventListener('success', () => onOpen(n))
    }
    return request
  })
  onTestFinished(() => spy.mockRestore())
  return () => opens
}

function deleteElsewhere(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  })
}

const started: Harness[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.request({ op: 'close' })))
})

async function leader(name: string): Promise<Harness> {
  const h = new Harness()
  started.push(h)
  await h.lead(name)
  return h
}

describe('the replica worker when its IndexedDB store is lost', () => {
  test('an upgrade by another connection that is given up: reported, and a new replica resumes from the durable point', async () => {
    const name = await seededStore()
    const h = await leader(name)
    expect(await h.get('greeting')).toBe('hello')
    const before = h.view!.replica!

    expect(await openDatabaseAt(indexedDB, name, 3, true)).toBe('aborted')
    await h.until(() => h.errors().length > 0)
    expect(h.errors()[0]).toEqual({ code: STORAGE_ERROR_CODES.storage, message: expect.stringContaining('is being deleted or upgraded by another connection (an open at version 3') })
    // The new replica has opened the store again and loaded it: the same durable point, the same data.
    await h.until(() => h.view?.replica !== before && h.view?.replica?.loaded === true && h.view.replica.durableOffset === 100)
    await h.request({ op: 'ready' })
    expect(h.view!.replica).toMatchObject({ replid: REPLID, offset: 100, durableOffset: 100, loaded: true })
    expect(h.view!.stopped).toBeNull()
    expect(await h.get('greeting')).toBe('hello')
    // Only the loss is reported: what the replica on the lost store met afterwards is not.
    expect(h.errors()).toHaveLength(1)
    // The new replica holds a live connection of its own: it hears the next upgrade, and recovers again.
    expect(await openDatabaseAt(indexedDB, name, 4, true)).toBe('aborted')
    await h.until(() => h.errors().length === 2)
    expect(h.errors()[1]!.message).toContain('(an open at version 4')
    await h.request({ op: 'ready' })
    expect(await h.get('greeting')).toBe('hello')
  })

  test('the database deleted by another connection: reported, and a new replica starts on an empty store (a full sync)', async () => {
    const name = await seededStore()
    const h = await leader(name)
    await deleteElsewhere(name)
    await h.until(() => h.errors().length > 0 && h.view?.replica?.replid === null && h.view.replica.loaded)
    expect(h.errors()).toEqual([{ code: STORAGE_ERROR_CODES.storage, message: expect.stringContaining('(a deleteDatabase)') }])
    await h.request({ op: 'ready' })
    expect(await h.get('greeting')).toBeNull()
    expect(h.view!.stopped).toBeNull()
  })

  test('an upgrade to a newer schema: the replica stops and says why; reads go on from memory', async () => {
    const name = await seededStore()
    const h = await leader(name)
    expect(await openDatabaseAt(indexedDB, name, 3, false)).toBe('opened')
    await h.until(() => h.view?.stopped != null)
    expect(h.view!.stopped).toEqual({ code: STORAGE_ERROR_CODES.storage, message: expect.stringMatching(/^The replica stopped: .*newer schema version than this code's \(2\).*reload the page/) })
    expect(h.errors().map((e) => e.message)).toEqual([
      expect.stringContaining('is being deleted or upgraded by another connection (an open at version 3'),
      h.view!.stopped!.message,
    ])
    expect(h.view!.replica).toMatchObject({ replid: REPLID, offset: 100, link: 'down' })
    expect(await h.get('greeting')).toBe('hello')
    // Asked to connect, a stopped replica stays down: its store can take nothing.
    h.engine.receive({ op: 'connect' })
    expect(h.view!.replica!.link).toBe('down')
  })

  test('a second loss while the recovery still opens the store: that connection is opened again, and the replica recovers', async () => {
    const name = await seededStore()
    const upgrades: Promise<unknown>[] = []
    // The recovery's connection (the engine's 2nd) is upgraded by another one as soon as it opens:
    // its versionchange comes while createReplica still reads the store through it.
    const opens = onEngineOpen(name, (n) => {
      if (n === 2) upgrades.push(openDatabaseAt(indexedDB, name, 4, true))
    })
    const h = await leader(name)
    expect(await openDatabaseAt(indexedDB, name, 3, true)).toBe('aborted')
    await h.until(() => h.errors().length === 2)
    expect(await Promise.all(upgrades)).toEqual(['aborted'])
    expect(h.errors().map((e) => e.message)).toEqual([
      expect.stringContaining('(an open at version 3'),
      expect.stringContaining('(an open at version 4'),
    ])
    // Not stopped ("could not be opened again" would be false): a third connection serves the replica.
    await h.until(() => opens() === 3 && h.view?.replica?.loaded === true && h.view.replica.durableOffset === 100)
    await h.request({ op: 'ready' })
    expect(h.view!.stopped).toBeNull()
    expect(h.view!.replica).toMatchObject({ replid: REPLID, offset: 100, durableOffset: 100, loaded: true })
    expect(await h.get('greeting')).toBe('hello')
    expect(h.errors()).toHaveLength(2)
    // That connection is live: it hears the next upgrade, and the replica recovers again.
    expect(await openDatabaseAt(indexedDB, name, 5, true)).toBe('aborted')
    await h.until(() => h.errors().length === 3 && opens() === 4)
    expect(h.errors()[2]!.message).toContain('(an open at version 5')
    await h.request({ op: 'ready' })
    expect(h.view!.stopped).toBeNull()
    expect(await h.get('greeting')).toBe('hello')
  })

  test(`a store lost at each of ${REOPEN_LIMIT} opens in a row: the replica stops and says so; reads go on from memory`, async () => {
    const name = await seededStore()
    const upgrades: Promise<unknown>[] = []
    // Every connection after the first is upgraded by another one as soon as it opens.
    const opens = onEngineOpen(name, (n) => {
      if (n >= 2) upgrades.push(openDatabaseAt(indexedDB, name, 2 + n, true))
    })
    const h = await leader(name)
    expect(await openDatabaseAt(indexedDB, name, 3, true)).toBe('aborted')
    await h.until(() => h.view?.stopped != null)
    expect(opens()).toBe(1 + REOPEN_LIMIT)
    expect(await Promise.all(upgrades)).toEqual(Array(REOPEN_LIMIT).fill('aborted'))
    expect(h.view!.stopped).toEqual({
      code: STORAGE_ERROR_CODES.storage,
      message: expect.stringMatching(new RegExp(`^The replica stopped: its IndexedDB store "${name}" was lost .* each of the ${REOPEN_LIMIT} times in a row it was opened.*reload the page`)),
    })
    // Every loss is reported, then why it stopped; nothing says the store "could not be opened again".
    const messages = h.errors().map((e) => e.message)
    expect(messages).toHaveLength(1 + REOPEN_LIMIT + 1)
    expect(messages.slice(0, -1)).toEqual(Array.from({ length: 1 + REOPEN_LIMIT }, (_, i) => expect.stringContaining(`(an open at version ${3 + i}`)))
    expect(messages.at(-1)).toBe(h.view!.stopped!.message)
    expect(h.view!.replica).toMatchObject({ replid: REPLID, offset: 100, link: 'down' })
    expect(await h.get('greeting')).toBe('hello')
  })
})
