// The top ten of a sorted set (ZINCRBY leaderboard <points> <player>), with bars scaled to the
// leader, an arrow for a player who just moved up or down, and a dot for players in the set
// players:online (SADD / SREM).
import { DEMO_KEYS } from '@replicast/master/demo-keys'
import { h, formatInt, reconcile, setText } from '../dom.ts'
import type { Panel } from '../live.ts'
import type { DashboardReplica } from '../replica.ts'

const TOP = 10

export function leaderboardPanel(replica: DashboardReplica, mount: HTMLElement): Panel {
  const list = h('ol', { class: 'board', 'data-testid': 'leaderboard' })
  const online = h('span', { class: 'online-count', 'data-testid': 'online' }, h('i'), h('span', null, '—'))
  mount.append(
    h('header', { class: 'panel-head' },
      h('div', null, h('h2', null, 'Leaderboard'), h('p', { class: 'panel-note' }, `${DEMO_KEYS.leaderboard} · sorted set, ZINCRBY`, h('br'), `${DEMO_KEYS.online} · set, SADD / SREM`)),
      online),
    list,
  )
  let previous = new Map<string, number>()
  const parts = new WeakMap<HTMLElement, { rank: HTMLElement; name: HTMLElement; bar: HTMLElement; score: HTMLElement; move: HTMLElement }>()

  return {
    keys: [DEMO_KEYS.leaderboard, DEMO_KEYS.online],
    async refresh() {
      const [rows, members] = await Promise.all([replica.zrangeWithScores(DEMO_KEYS.leaderboard, 0, TOP - 1, { rev: true }), replica.smembers(DEMO_KEYS.online)])
      const isOnline = new Set(members)
      setText(online.lastElementChild!, `${members.length} online`)
      const max = rows[0]?.[1] ?? 1
      const ranks = new Map(rows.map(([member], i) => [member, i]))
      reconcile(list, rows, ([member]) => member, () => {
        const rank = h('span', { class: 'board-rank' })
        const name = h('span', { class: 'board-name' })
        const dot = h('span', { class: 'presence' })
        const move = h('span', { class: 'board-move' })
        const bar = h('div', { class: 'board-bar' })
        const score = h('span', { class: 'board-score' })
        const el = h('li', { class: 'board-row' }, rank, h('div', { class: 'board-main' }, h('div', { class: 'board-line' }, dot, name, move), h('div', { class: 'board-track' }, bar)), score)
        parts.set(el, { rank, name, bar, score, move })
        return el
      }, (el, [member, score], index) => {
        const p = parts.get(el)!
        setText(p.rank, String(index + 1))
        setText(p.name, member)
        setText(p.score, formatInt(score))
        p.bar.style.width = `${Math.max(2, (score / max) * 100)}%`
        // An arrow for a move since the last render; it fades out by itself (CSS).
        const before = previous.get(member)
        const dir = before === undefined ? (previous.size > 0 ? 'new' : null) : before > index ? 'up' : before < index ? 'down' : null
        if (dir !== null) {
          setText(p.move, dir === 'up' ? '▲' : dir === 'down' ? '▼' : 'new')
          p.move.dataset['dir'] = dir === 'down' ? 'down' : 'up'
          p.move.classList.remove('moved')
          void p.move.offsetWidth
          p.move.classList.add('moved')
        }
        el.dataset['rank'] = String(index + 1)
        el.dataset['online'] = String(isOnline.has(member))
      })
      previous = ranks
    },
  }
}
