// Subscriptions that drive the panels. A panel names the keys it shows; every change to one of them
// (and every full resync, and the end of the load from IndexedDB) schedules one re-read of that
// panel, coalesced to at most one per animation frame. Nothing polls.
import type { DashboardReplica } from './replica.ts'

export interface Panel {
  /** Exact keys, or glob patterns when `glob` is set. */
  readonly keys: readonly string[]
  readonly glob?: boolean
  /** Reads what the panel shows and renders it. `changed` holds the keys changed since last time, or null for everything. */
  refresh(changed: ReadonlySet<string> | null): Promise<void>
}

const nextFrame: (fn: () => void) => void =
  typeof requestAnimationFrame === 'function'
    ? (fn) => {
        // rAF does not run in a hidden tab; a timeout catches up there.
        let done = false
        const run = () => {
          if (done) return
          done = true
          fn()
        }
        requestAnimationFrame(run)
        setTimeout(run, 250)
      }
    : (fn) => setTimeout(fn, 16)

/** Mounts a panel: reads it once now, then again after every change to its keys. */
export function watch(replica: DashboardReplica, panel: Panel, onError: (error: unknown) => void): () => void {
  let scheduled = false
  let full = false
  let changed = new Set<string>()
  let running: Promise<void> = Promise.resolve()
  const schedule = (key: string | null): void => {
    if (key === null) full = true
    else changed.add(key)
    if (scheduled) return
    scheduled = true
    nextFrame(() => {
      const keys = full ? null : changed
      full = false
      changed = new Set()
      scheduled = false
      // One refresh at a time: reads are async, and two in flight could render out of order.
      running = running.then(() => panel.refresh(keys)).catch(onError)
    })
  }
  const unsubscribes = panel.keys.map((pattern) =>
    replica.subscribe(pattern, (change) => schedule(change.kind === 'key' ? change.key : null), { glob: panel.glob ?? false }),
  )
  schedule(null)
  return () => { for (const u of unsubscribes) u() }
}
