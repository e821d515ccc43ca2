// The dashboard: one replica of the master that serves this page, kept in IndexedDB, and panels that
// re-read what they show when the replica says their keys changed.
//
//   master ──ws──► replica (IndexedDB) ──subscribe(keys)──► panels (re-read, render)
//                        └──on('status')──► replication panel, header pill, window.__replicast
//
// The service worker (sw.ts) keeps the app shell, so a reload without network still opens the page,
// and the replica answers from IndexedDB.
import './styles.css'
import { setText } from './dom.ts'
import { watch, type Panel } from './live.ts'
import { chartPanel } from './panels/chart.ts'
import { countersPanel } from './panels/counters.ts'
import { eventsPanel } from './panels/events.ts'
import { hostsPanel } from './panels/hosts.ts'
import { keyspacePanel } from './panels/keyspace.ts'
import { leaderboardPanel } from './panels/leaderboard.ts'
import { replicationPanel } from './panels/replication.ts'
import { openReplica, replicationUrl, type DashboardReplica, type DashboardStatus } from './replica.ts'

/** What end-to-end tests (and curious people in the console) can reach. */
export interface DashboardGlobal {
  readonly replica: DashboardReplica
  /** The latest status event. */
  status: DashboardStatus
  /** Panel refreshes that failed, as messages. */
  readonly errors: string[]
}

declare global {
  interface Window {
    __replicast?: DashboardGlobal
  }
}

const byId = (id: string): HTMLElement => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} is missing from index.html`)
  return el
}

function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return
  navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL }).catch((error: unknown) => {
    console.warn('replicast: the service worker could not be registered; the page will not open offline.', error)
  })
}

async function start(): Promise<void> {
  registerServiceWorker()
  const url = replicationUrl()
  const replica = await openReplica(url)
  const errors: string[] = []
  const onError = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error)
    errors.push(message)
    if (errors.length > 50) errors.shift()
    console.warn('replicast dashboard:', error)
  }
  const global: DashboardGlobal = { replica, status: replica.status, errors }
  window.__replicast = global

  const replication = replicationPanel(replica, byId('replication'), url)
  const pill = byId('link-pill')
  const pillText = pill.querySelector('span')!
  const showLink = (status: DashboardStatus): void => {
    const link = replication.link
    pill.dataset['link'] = link
    const progress = status.snapshot?.total ? ` ${Math.floor((status.snapshot.received / status.snapshot.total) * 100)}%` : ''
    setText(pillText, link === 'up' ? 'live' : link === 'syncing' ? `syncing${progress}` : link === 'offline' ? 'offline · stored copy' : link === 'down' ? 'reconnecting · stored copy' : 'connecting')
    document.body.dataset['link'] = link
  }
  const onStatus = (status: DashboardStatus): void => {
    global.status = status
    replication.render(status)
    showLink(status)
  }
  replica.on('status', onStatus)
  replica.on('error', onError)
  onStatus(replica.status)
  window.addEventListener('online', () => showLink(global.status))
  window.addEventListener('offline', () => showLink(global.status))

  const panels: Panel[] = [
    ...countersPanel(replica, byId('kpis')),
    chartPanel(replica, byId('chart')),
    hostsPanel(replica, byId('hosts')),
    leaderboardPanel(replica, byId('leaderboard')),
    eventsPanel(replica, byId('events')),
    keyspacePanel(replica, byId('keyspace')),
  ]
  for (const panel of panels) watch(replica, panel, onError)
}

start().catch((error: unknown) => {
  console.error(error)
  const box = document.createElement('div')
  box.className = 'fatal'
  box.textContent = `The replica could not start: ${error instanceof Error ? error.message : String(error)}`
  document.body.prepend(box)
})
