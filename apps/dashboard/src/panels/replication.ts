// The replica's own state, from its 'status' events: link, role, replication ID, offsets, lag, the
// last sync, and a progress bar while a snapshot loads. A one-second clock only ages the "last heard"
// figure between events; it reads no data.
import { h, formatBytes, formatDuration, formatInt, setText } from '../dom.ts'
import type { DashboardReplica, DashboardStatus } from '../replica.ts'

type LinkView = 'up' | 'syncing' | 'connecting' | 'down' | 'offline'

const LINK_TEXT: Record<LinkView, [title: string, detail: string]> = {
  up: ['Streaming', 'applying the master’s writes as they happen'],
  syncing: ['Full sync', 'loading a snapshot; the stored copy stays readable'],
  connecting: ['Connecting', 'asking the master to PSYNC from the stored offset'],
  down: ['Disconnected', 'showing the copy stored in IndexedDB; retrying'],
  offline: ['Offline', 'no network: showing the copy stored in IndexedDB'],
}

export interface ReplicationPanel {
  /** Renders a status (also called by main.ts with the first one). */
  render(status: DashboardStatus): void
  /** The link's view, for the header's pill. */
  readonly link: LinkView
  onChange(listener: (link: LinkView, status: DashboardStatus) => void): void
}

export function replicationPanel(replica: DashboardReplica, mount: HTMLElement, masterUrl: string): ReplicationPanel {
  const dot = h('span', { class: 'link-dot' })
  const title = h('span', { class: 'link-title', 'data-testid': 'link-state' })
  const detail = h('p', { class: 'link-detail' })
  const role = h('span', { class: 'role-badge', hidden: true })
  const progressFill = h('div', { class: 'progress-fill' })
  const progressText = h('span', { class: 'progress-text' })
  const progress = h('div', { class: 'progress', hidden: true, 'data-testid': 'snapshot-progress' },
    h('div', { class: 'progress-track' }, progressFill), progressText)

  const rows = new Map<string, HTMLElement>()
  const row = (id: string, label: string, hint: string): HTMLElement => {
    const value = h('dd', { 'data-testid': `repl-${id}` }, '—')
    rows.set(id, value)
    return h('div', { class: 'repl-row', title: hint }, h('dt', null, label), value)
  }
  const list = h('dl', { class: 'repl-list' },
    row('replid', 'Replication ID', 'The master’s history this copy belongs to (40 hex characters).'),
    row('offset', 'Offset', 'Bytes of the master’s replication stream applied (master_repl_offset).'),
    row('durable', 'Durable offset', 'Bytes of the stream committed to IndexedDB: what a reload resumes from.'),
    row('leader', 'Leader tab at', 'This tab follows another tab of this site, which holds the link; its offset.'),
    row('lag', 'Last heard', 'Time since the master last sent anything (a write or a ping).'),
    row('sync', 'Last sync', 'Full: a snapshot was loaded. Partial: PSYNC continued from the backlog.'),
    row('syncs', 'Syncs', 'Full and partial syncs since this page opened.'),
    row('loaded', 'Reads from', 'Memory once the stored copy is loaded; IndexedDB key by key before that.'),
    row('error', 'Last error', 'The last error the replica met, if any.'),
  )
  mount.append(
    h('header', { class: 'panel-head' },
      h('div', null, h('h2', null, 'Replication'), h('p', { class: 'panel-note' }, 'this tab’s replica of ', h('code', null, masterUrl)))),
    h('div', { class: 'link-box' }, h('div', { class: 'link-line' }, dot, title, role), detail, progress),
    list,
  )

  let last: DashboardStatus = replica.status
  let link: LinkView = 'connecting'
  const listeners: ((link: LinkView, status: DashboardStatus) => void)[] = []

  const set = (id: string, text: string, title?: string): void => {
    const el = rows.get(id)!
    setText(el, text)
    if (title !== undefined) el.title = title
  }

  const render = (status: DashboardStatus): void => {
    last = status
    const next: LinkView = !navigator.onLine && status.link !== 'up' ? 'offline' : status.link
    const changed = next !== link
    link = next
    mount.dataset['link'] = link
    setText(title, LINK_TEXT[link][0])
    setText(detail, LINK_TEXT[link][1])
    role.hidden = status.role === undefined || status.role === null
    if (!role.hidden) setText(role, status.role === 'leader' ? 'leader tab' : 'follower tab')

    const snap = status.snapshot
    progress.hidden = snap === null
    if (snap !== null) {
      const ratio = snap.total !== null && snap.total > 0 ? Math.min(1, snap.received / snap.total) : 0
      progressFill.style.width = `${(ratio * 100).toFixed(1)}%`
      setText(progressText, snap.total === null ? `${formatBytes(snap.received)} received` : `${formatBytes(snap.received)} of ${formatBytes(snap.total)} · ${(ratio * 100).toFixed(0)}%`)
    }

    set('replid', status.replid ?? 'none yet', status.replid ?? '')
    set('offset', formatInt(status.offset))
    const pending = status.unpersistedBytes
    set('durable', pending > 0 ? `${formatInt(status.durableOffset)} (−${formatBytes(pending)})` : formatInt(status.durableOffset))
    const leaderOffset = (status as { leaderOffset?: number | null }).leaderOffset
    rows.get('leader')!.parentElement!.hidden = status.role !== 'follower'
    set('leader', leaderOffset === undefined || leaderOffset === null ? 'not heard yet' : formatInt(leaderOffset))
    renderLag()
    set('sync', status.lastSync === null ? '—' : status.lastSync === 'full' ? 'full (snapshot)' : 'partial (PSYNC +CONTINUE)')
    set('syncs', `${status.stats.fullSyncs} full · ${status.stats.partialSyncs} partial`)
    set('loaded', status.loaded ? 'memory' : 'IndexedDB (loading)')
    set('error', status.lastError === null ? 'none' : `${status.lastError.code}: ${status.lastError.message}`, status.lastError?.message ?? '')
    rows.get('error')!.dataset['error'] = String(status.lastError !== null)
    if (changed) for (const l of listeners) l(link, status)
  }

  const renderLag = (): void => {
    const lag = last.link === 'down' ? null : last.heardAt === null ? null : Date.now() - last.heardAt
    set('lag', lag === null ? 'not connected' : lag < 1000 ? 'just now' : `${formatDuration(lag)} ago`)
  }
  setInterval(renderLag, 1000)
  window.addEventListener('online', () => render(last))
  window.addEventListener('offline', () => render(last))

  return {
    render,
    get link() { return link },
    onChange(listener) { listeners.push(listener) },
  }
}
