// Which tab leads a replica (DESIGN §5): the one holding the Web Lock named after it. The leader holds
// the WebSocket and writes IndexedDB; every other tab of the origin follows. A lock is released when
// its holder releases it or when its tab goes (closed, crashed, navigated away), and the browser then
// grants it to the next tab waiting, which takes over.
//
//   electLeader ──lock free──► onLeader()                       (held until release())
//               └─lock held──► onFollower() ──lock granted later──► onLeader()
//
// Deliberately left out: what leading means (browser-replica.ts), and browsers without Web Locks
// (the caller decides; see `webLocksAvailable`).

export interface Election {
  /** Gives up the lock (or stops waiting for it). Resolves once the lock is released. */
  release(): Promise<void>
}

interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<void> | void): Promise<void>
}

function lockManager(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks
}

/** True when this context has Web Locks (secure contexts: https, or http on localhost). */
export function webLocksAvailable(): boolean {
  return lockManager() !== undefined
}

export function electLeader(lockName: string, hooks: { onLeader(): void; onFollower(): void }): Election {
  const locks = lockManager()
  if (locks === undefined) throw new Error('Web Locks (navigator.locks) are not available: serve the page over https (or from localhost).')
  const waiting = new AbortController()
  let releaseHeld: (() => void) | null = null
  let released = false
  /** The request queued behind the current leader, when this tab follows. */
  let queued: Promise<void> = Promise.resolve()

  const hold = (): Promise<void> =>
    new Promise<void>((resolve) => {
      releaseHeld = resolve
      if (released) resolve()
      else hooks.onLeader()
    })

  const first = locks.request(lockName, { ifAvailable: true }, (lock) => {
    if (lock !== null) return hold()
    if (released) return undefined
    hooks.onFollower()
    // Queue for the lock; the browser grants it when the leader's tab releases it or goes.
    queued = locks.request(lockName, { signal: waiting.signal }, () => hold()).catch((error: unknown) => {
      if ((error as { name?: string }).name !== 'AbortError') throw error
    })
    return undefined
  })
  const settled = first.then(() => queued)

  return {
    async release() {
      released = true
      waiting.abort()
      releaseHeld?.()
      await settled.catch(() => {})
    },
  }
}

interface WorkerLocks {
  request(name: string, callback: () => Promise<void>): Promise<void>
}

/**
 * Takes the Web Lock that fences the writers of one store: held by the worker (not the tab) for as
 * long as it owns the store, so it is released exactly when the worker closes the store or dies. A new
 * leader's worker waits here until the previous leader's worker is gone, so two workers never write
 * the same store, even while a closing tab's worker finishes its last transaction.
 */
export async function storeOwnerLock(name: string): Promise<() => void> {
  const locks = (globalThis as { navigator?: { locks?: WorkerLocks } }).navigator?.locks
  if (locks === undefined) return () => {}
  let release: () => void = () => {}
  await new Promise<void>((acquired) => {
    void locks.request(`replicast-storage:${name}`, () => new Promise<void>((resolve) => {
      release = resolve
      acquired()
    }))
  })
  return release
}
