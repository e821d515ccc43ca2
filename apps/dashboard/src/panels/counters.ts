// The headline numbers: counters (strings written by INCR, INCRBY and INCRBYFLOAT), the number of
// live sessions (keys with a TTL) and of alerting hosts (a set).
import { DEMO_KEYS } from '@replicast/master/demo-keys'
import { h, formatCompact, formatInt, formatMoney, setText } from '../dom.ts'
import type { Panel } from '../live.ts'
import type { DashboardReplica } from '../replica.ts'

interface Card {
  readonly root: HTMLElement
  readonly value: HTMLElement
  readonly sub: HTMLElement
}

function card(id: string, label: string, source: string, accent: string): Card {
  const value = h('div', { class: 'kpi-value' }, '—')
  const sub = h('div', { class: 'kpi-sub' }, '\u00a0')
  const root = h('article', { class: `card kpi accent-${accent}`, 'data-testid': `kpi-${id}` },
    h('div', { class: 'kpi-label' }, label), value, sub, h('div', { class: 'kpi-source' }, source))
  return { root, value, sub }
}

export function countersPanel(replica: DashboardReplica, mount: HTMLElement): Panel[] {
  const requests = card('requests', 'Requests', `${DEMO_KEYS.requests} · INCRBY`, 'blue')
  const errors = card('errors', 'Errors', `${DEMO_KEYS.errors} · INCR`, 'red')
  const signups = card('signups', 'Sign-ups', `${DEMO_KEYS.signups} · INCR`, 'green')
  const revenue = card('revenue', 'Revenue', `${DEMO_KEYS.revenue} · INCRBYFLOAT`, 'violet')
  const sessions = card('sessions', 'Live sessions', `${DEMO_KEYS.sessionPrefix}* · SET EX`, 'amber')
  const alerts = card('alerts', 'Alerting hosts', `${DEMO_KEYS.alerting} · SADD`, 'orange')
  mount.append(requests.root, errors.root, signups.root, revenue.root, sessions.root, alerts.root)

  const counters: Panel = {
    keys: [DEMO_KEYS.requests, DEMO_KEYS.errors, DEMO_KEYS.signups, DEMO_KEYS.revenue, DEMO_KEYS.seriesRps],
    async refresh() {
      const [values, last] = await Promise.all([
        replica.call(['MGET', DEMO_KEYS.requests, DEMO_KEYS.errors, DEMO_KEYS.signups, DEMO_KEYS.revenue]) as Promise<(string | null)[]>,
        replica.call(['LINDEX', DEMO_KEYS.seriesRps, -1]) as Promise<string | null>,
      ])
      const [req, err, sign, rev] = values.map((v) => (v === null ? NaN : Number(v)))
      const rps = last === null ? NaN : Number(last.slice(last.indexOf(':') + 1))
      setText(requests.value, formatCompact(req!))
      setText(requests.sub, Number.isFinite(rps) ? `${formatInt(rps)} req/s now` : '\u00a0')
      setText(errors.value, formatInt(err!))
      setText(errors.sub, req! > 0 ? `${((err! / req!) * 100).toFixed(3)} % of requests` : '\u00a0')
      setText(signups.value, formatInt(sign!))
      setText(signups.sub, 'since the feed started')
      setText(revenue.value, formatMoney(rev!))
      setText(revenue.sub, Number.isFinite(rev!) ? `${rev!.toFixed(2)} exactly` : '\u00a0')
    },
  }
  const live: Panel = {
    keys: [`${DEMO_KEYS.sessionPrefix}*`],
    glob: true,
    async refresh() {
      const keys = await replica.keys(`${DEMO_KEYS.sessionPrefix}*`)
      setText(sessions.value, formatInt(keys.length))
      setText(sessions.sub, 'keys with a TTL')
    },
  }
  const alerting: Panel = {
    keys: [DEMO_KEYS.alerting],
    async refresh() {
      const members = (await replica.smembers(DEMO_KEYS.alerting)).sort()
      const names = await Promise.all(members.map(async (key) => (await replica.call(['HGET', key, 'name'])) as string | null))
      setText(alerts.value, formatInt(members.length))
      setText(alerts.sub, members.length === 0 ? 'all hosts healthy' : names.map((n, i) => n ?? members[i]).join(', '))
      alerts.root.classList.toggle('is-alert', members.length > 0)
    },
  }
  return [counters, live, alerting]
}
