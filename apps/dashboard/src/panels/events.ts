// The newest events of a capped list (LPUSH events <json> + LTRIM events 0 49).
import { DEMO_KEYS } from '@replicast/master/demo-keys'
import { h, formatClock, reconcile, setText } from '../dom.ts'
import type { Panel } from '../live.ts'
import type { DashboardReplica } from '../replica.ts'

const SHOWN = 14

interface DemoEvent {
  readonly id: string
  readonly ts: number
  readonly level: string
  readonly host: string
  readonly msg: string
}

function parseEvent(raw: string, index: number): DemoEvent {
  try {
    const e = JSON.parse(raw) as Partial<DemoEvent>
    return { id: raw, ts: Number(e.ts), level: String(e.level ?? 'info'), host: String(e.host ?? ''), msg: String(e.msg ?? raw) }
  } catch {
    return { id: `${index}:${raw}`, ts: NaN, level: 'info', host: '', msg: raw }
  }
}

export function eventsPanel(replica: DashboardReplica, mount: HTMLElement): Panel {
  const length = h('span', { class: 'panel-count' })
  const list = h('ul', { class: 'events', 'data-testid': 'events' })
  mount.append(
    h('header', { class: 'panel-head' },
      h('div', null, h('h2', null, 'Recent events ', length), h('p', { class: 'panel-note' }, `${DEMO_KEYS.events} · capped list, LPUSH + LTRIM`))),
    list,
  )
  let rendered = false
  return {
    keys: [DEMO_KEYS.events],
    async refresh() {
      const [raw, len] = await Promise.all([replica.lrange(DEMO_KEYS.events, 0, SHOWN - 1), replica.call(['LLEN', DEMO_KEYS.events]) as Promise<number>])
      setText(length, String(len))
      // The same text twice in the list gets a distinct key by position among equals.
      const seen = new Map<string, number>()
      const events = raw.map(parseEvent).map((e) => {
        const n = seen.get(e.id) ?? 0
        seen.set(e.id, n + 1)
        return n === 0 ? e : { ...e, id: `${e.id}#${n}` }
      })
      reconcile(list, events, (e) => e.id, (e) => {
        const el = h('li', { class: rendered ? 'event fresh' : 'event', 'data-level': e.level },
          h('span', { class: 'event-time' }, Number.isFinite(e.ts) ? formatClock(e.ts) : ''),
          h('span', { class: 'event-level' }, e.level),
          h('span', { class: 'event-host' }, e.host),
          h('span', { class: 'event-msg' }, e.msg))
        setTimeout(() => el.classList.remove('fresh'), 1200)
        return el
      }, (el, e) => setText(el.querySelector('.event-msg')!, e.msg))
      rendered = true
    },
  }
}
