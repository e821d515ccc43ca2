// One card per simulated host, from its hash (HSET host:<n> cpu … mem … status …). A change to
// host:3 re-reads host:3 only; a resync re-reads them all.
import { DEMO_KEYS } from '@replicast/master/demo-keys'
import { h, formatDuration, formatInt, reconcile, setText } from '../dom.ts'
import type { Panel } from '../live.ts'
import type { DashboardReplica } from '../replica.ts'

interface Host {
  readonly key: string
  readonly fields: Record<string, string>
}

const hostNumber = (key: string): number => Number(key.slice(DEMO_KEYS.hostPrefix.length)) || Number.MAX_SAFE_INTEGER

function meter(label: string): { root: HTMLElement; fill: HTMLElement; value: HTMLElement } {
  const fill = h('div', { class: 'meter-fill' })
  const value = h('span', { class: 'meter-value' })
  const root = h('div', { class: 'meter' }, h('span', { class: 'meter-label' }, label), h('div', { class: 'meter-track' }, fill), value)
  return { root, fill, value }
}

function setMeter(m: ReturnType<typeof meter>, percent: number): void {
  const p = Number.isFinite(percent) ? Math.max(0, Math.min(100, percent)) : 0
  m.fill.style.width = `${p}%`
  m.fill.dataset['level'] = p >= 88 ? 'high' : p >= 70 ? 'mid' : 'low'
  setText(m.value, Number.isFinite(percent) ? `${percent.toFixed(0)}%` : '—')
}

export function hostsPanel(replica: DashboardReplica, mount: HTMLElement): Panel {
  const count = h('span', { class: 'panel-count' })
  const grid = h('div', { class: 'hosts-grid', 'data-testid': 'hosts' })
  mount.append(
    h('header', { class: 'panel-head' },
      h('div', null, h('h2', null, 'Hosts ', count), h('p', { class: 'panel-note' }, `${DEMO_KEYS.hostPrefix}<n> · one hash per host, HSET`))),
    grid,
  )
  const hosts = new Map<string, Host>()
  const parts = new WeakMap<HTMLElement, { name: HTMLElement; meta: HTMLElement; status: HTMLElement; cpu: ReturnType<typeof meter>; mem: ReturnType<typeof meter>; load: HTMLElement; rps: HTMLElement; uptime: HTMLElement }>()

  const create = (): HTMLElement => {
    const name = h('span', { class: 'host-name' })
    const status = h('span', { class: 'status-pill' })
    const meta = h('div', { class: 'host-meta' })
    const cpu = meter('CPU')
    const mem = meter('MEM')
    const load = h('span')
    const rps = h('span')
    const uptime = h('span')
    const el = h('article', { class: 'host' },
      h('div', { class: 'host-top' }, h('span', { class: 'status-dot' }), name, status),
      meta, cpu.root, mem.root,
      h('div', { class: 'host-stats' }, h('div', null, h('small', null, 'load'), load), h('div', null, h('small', null, 'req/s'), rps), h('div', null, h('small', null, 'uptime'), uptime)))
    parts.set(el, { name, meta, status, cpu, mem, load, rps, uptime })
    return el
  }

  const update = (el: HTMLElement, host: Host): void => {
    const p = parts.get(el)!
    const f = host.fields
    const status = f['status'] ?? 'unknown'
    el.dataset['status'] = status
    setText(p.name, f['name'] ?? host.key)
    setText(p.status, status)
    setText(p.meta, `${f['role'] ?? '?'} · ${f['region'] ?? '?'} · ${host.key}`)
    setMeter(p.cpu, Number(f['cpu']))
    setMeter(p.mem, Number(f['mem']))
    setText(p.load, f['load'] ?? '—')
    setText(p.rps, formatInt(Number(f['rps'])))
    const boot = Number(f['boot'])
    const updated = Number(f['updated'])
    setText(p.uptime, status === 'down' ? 'down' : Number.isFinite(boot) && Number.isFinite(updated) ? formatDuration(updated - boot) : '—')
  }

  return {
    keys: [`${DEMO_KEYS.hostPrefix}*`],
    glob: true,
    async refresh(changed) {
      const keys = changed === null ? await replica.keys(`${DEMO_KEYS.hostPrefix}*`) : [...changed]
      if (changed === null) hosts.clear()
      const read = await Promise.all(keys.map(async (key) => ({ key, fields: await replica.hgetall(key).catch(() => ({}) as Record<string, string>) })))
      for (const host of read) {
        if (Object.keys(host.fields).length === 0) hosts.delete(host.key)
        else hosts.set(host.key, host)
      }
      const list = [...hosts.values()].sort((a, b) => hostNumber(a.key) - hostNumber(b.key) || a.key.localeCompare(b.key))
      setText(count, String(list.length))
      reconcile(grid, list, (host) => host.key, create, update)
    },
  }
}
