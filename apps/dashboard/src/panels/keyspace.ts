// The rest of the keyspace: every key that the demo feed does not write (so `redis-cli -p 6380 set
// greeting hello` shows up here at once), and a ticker of the latest changes to any key. Fed by one
// glob subscription to '*'.
import { isDemoKey } from '@replicast/master/demo-keys'
import { h, formatDuration, formatInt, reconcile, setText } from '../dom.ts'
import type { Panel } from '../live.ts'
import type { DashboardReplica } from '../replica.ts'

const MAX_KEYS = 50
const TICKER = 6

interface KeyView {
  readonly key: string
  readonly type: string
  readonly preview: string
  readonly ttlMs: number
}

const clip = (s: string, n = 80): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

async function describe(replica: DashboardReplica, key: string): Promise<KeyView | null> {
  const type = (await replica.call(['TYPE', key])) as string
  if (type === 'none') return null
  const ttlMs = (await replica.call(['PTTL', key])) as number
  let preview: string
  switch (type) {
    case 'string':
      preview = JSON.stringify((await replica.get(key)) ?? '')
      break
    case 'hash': {
      const fields = await replica.hgetall(key)
      preview = `{ ${Object.entries(fields).slice(0, 4).map(([f, v]) => `${f}: ${JSON.stringify(v)}`).join(', ')}${Object.keys(fields).length > 4 ? ', …' : ''} }`
      break
    }
    case 'list': {
      const len = (await replica.call(['LLEN', key])) as number
      preview = `[${(await replica.lrange(key, 0, 3)).map((v) => JSON.stringify(v)).join(', ')}${len > 4 ? ', …' : ''}] (${len})`
      break
    }
    case 'set': {
      const members = await replica.smembers(key)
      preview = `{${members.slice(0, 5).map((v) => JSON.stringify(v)).join(', ')}${members.length > 5 ? ', …' : ''}} (${members.length})`
      break
    }
    case 'zset': {
      const top = await replica.zrangeWithScores(key, 0, 3)
      const len = (await replica.call(['ZCARD', key])) as number
      preview = `${top.map(([m, s]) => `${m}=${s}`).join(', ')}${len > 4 ? ', …' : ''} (${len})`
      break
    }
    default:
      preview = ''
  }
  return { key, type, preview: clip(preview), ttlMs }
}

export function keyspacePanel(replica: DashboardReplica, mount: HTMLElement): Panel {
  const total = h('strong', { 'data-testid': 'dbsize' }, '—')
  const list = h('ul', { class: 'keys', 'data-testid': 'user-keys' })
  const empty = h('p', { class: 'keys-empty' }, 'No keys of your own yet. Write one and watch it arrive:', h('code', null, 'redis-cli -p 6380 set greeting hello'))
  const ticker = h('ul', { class: 'ticker', 'data-testid': 'ticker' })
  const rate = h('span', { class: 'ticker-rate' }, '—')
  mount.append(
    h('header', { class: 'panel-head' },
      h('div', null, h('h2', null, 'Your keys'), h('p', { class: 'panel-note' }, 'keys outside the demo dataset')),
      h('div', { class: 'dbsize' }, total, h('small', null, 'keys in db 0'))),
    empty, list,
    h('div', { class: 'ticker-head' }, h('h3', null, 'Latest changes'), rate),
    ticker,
  )

  const views = new Map<string, KeyView>()
  const recent: { key: string; at: number; seq: number }[] = []
  let seq = 0
  let changesThisSecond = 0
  let changesLastSecond = 0
  setInterval(() => {
    // A clock for the rate shown, counting changes the subscription delivered; it reads no data.
    changesLastSecond = changesThisSecond
    changesThisSecond = 0
    setText(rate, `${formatInt(changesLastSecond)} keys changed/s`)
  }, 1000)

  const render = (flash: ReadonlySet<string>): void => {
    const items = [...views.values()].sort((a, b) => a.key.localeCompare(b.key)).slice(0, MAX_KEYS)
    empty.hidden = items.length > 0
    reconcile(list, items, (v) => v.key, () => h('li', { class: 'key-row' },
      h('div', { class: 'key-line' }, h('span', { class: 'key-name' }), h('span', { class: 'key-type' }), h('span', { class: 'key-ttl' })),
      h('div', { class: 'key-value' })), (el, v) => {
      setText(el.querySelector('.key-name')!, v.key)
      const type = el.querySelector<HTMLElement>('.key-type')!
      setText(type, v.type)
      type.dataset['type'] = v.type
      setText(el.querySelector('.key-ttl')!, v.ttlMs >= 0 ? `TTL ${formatDuration(v.ttlMs)}` : '')
      setText(el.querySelector('.key-value')!, v.preview)
      if (flash.has(v.key)) {
        el.classList.remove('flash')
        void el.offsetWidth
        el.classList.add('flash')
      }
    })
    reconcile(ticker, recent.slice(0, TICKER), (r) => String(r.seq), (r) => h('li', null, h('span', { class: 'ticker-key' }, r.key), h('span', { class: 'ticker-time' }, new Date(r.at).toLocaleTimeString('en-GB', { hour12: false }))), () => undefined)
  }

  return {
    keys: ['*'],
    glob: true,
    async refresh(changed) {
      if (changed === null) {
        const keys = (await replica.keys('*')).filter((k) => !isDemoKey(k))
        views.clear()
        for (const view of await Promise.all(keys.slice(0, MAX_KEYS).map((k) => describe(replica, k)))) if (view !== null) views.set(view.key, view)
      } else {
        const now = Date.now()
        for (const key of changed) {
          changesThisSecond++
          recent.unshift({ key, at: now, seq: seq++ })
        }
        recent.length = Math.min(recent.length, TICKER)
        const mine = [...changed].filter((k) => !isDemoKey(k))
        for (const key of mine) {
          const view = await describe(replica, key)
          if (view === null) views.delete(key)
          else views.set(key, view)
        }
      }
      setText(total, formatInt((await replica.call(['DBSIZE'])) as number))
      render(changed ?? new Set())
    },
  }
}
