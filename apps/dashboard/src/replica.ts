// The dashboard's one replica, behind a small adapter so that the rest of the app does not care how
// it is built. `openReplica` uses '@replicast/replica/browser': the tabs of this origin share one
// replica (one leader tab holds the WebSocket and writes IndexedDB from a worker; the others follow
// and take over when it closes). `openSingleTabReplica` is the plain one-replica-per-tab variant
// (createReplica + IndexedDB on the main thread); switching back is one line in `openReplica`.
//
// The panels use only `DashboardReplica`: reads, subscriptions, status.
import { createBrowserReplica, createIndexedDbStorage, createReplica, type BrowserReplica, type ReplicaStatusInfo } from '@replicast/replica/browser'

/** Names the shared replica: its IndexedDB database, Web Lock and BroadcastChannel. */
export const DATABASE_NAME = 'replicast-dashboard'

/** What the dashboard needs of a replica. */
export type DashboardReplica = Pick<BrowserReplica, 'call' | 'get' | 'hgetall' | 'lrange' | 'smembers' | 'zrangeWithScores' | 'keys' | 'subscribe' | 'waitForOffset'> & {
  readonly status: DashboardStatus
  on(event: 'status', listener: (status: DashboardStatus) => void): () => void
  on(event: 'error', listener: (error: Error) => void): () => void
}

/** Status as shown; `role` is there when tabs share one replica. */
export type DashboardStatus = ReplicaStatusInfo & { readonly role?: 'leader' | 'follower' | null }

/** The master's replication endpoint: the page's own origin, since the master serves the page. */
export function replicationUrl(location: Location = window.location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${location.host}/replication`
}

export async function openReplica(url: string = replicationUrl()): Promise<DashboardReplica> {
  return createBrowserReplica({ url, name: DATABASE_NAME })
}

/** One replica for this tab alone, IndexedDB on the main thread. */
export async function openSingleTabReplica(url: string = replicationUrl()): Promise<DashboardReplica> {
  const replica = await createReplica({ url, storage: createIndexedDbStorage({ name: `${DATABASE_NAME}-tab`, commitDurability: 'relaxed' }) })
  // Come back at once when the network or the tab does, instead of waiting out the backoff.
  window.addEventListener('online', () => replica.reconnectNow())
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') replica.reconnectNow()
  })
  return replica
}
