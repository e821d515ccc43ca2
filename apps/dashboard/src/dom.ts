// Tiny DOM helpers: an element builder, keyed list reconciliation, and number formatting.

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined> & { class?: string }

/** h('div', { class: 'card' }, 'text', child): an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (attrs !== null) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue
      el.setAttribute(name, value === true ? '' : String(value))
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    el.append(child instanceof Node ? child : String(child))
  }
  return el
}

/** Sets text only when it changed (keeps the DOM quiet at 50 updates a second). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text
}

/**
 * Makes `parent`'s children one element per item, in order, reusing the element of each key:
 * `create` builds a new one, `update` refreshes it.
 */
export function reconcile<T, E extends HTMLElement>(parent: HTMLElement, items: readonly T[], key: (item: T) => string, create: (item: T) => E, update: (el: E, item: T, index: number) => void): void {
  const existing = new Map<string, E>()
  for (const child of [...parent.children]) {
    const k = (child as HTMLElement).dataset['key']
    if (k !== undefined) existing.set(k, child as E)
  }
  let cursor: Element | null = parent.firstElementChild
  items.forEach((item, index) => {
    const k = key(item)
    let el = existing.get(k)
    if (el === undefined) {
      el = create(item)
      el.dataset['key'] = k
    } else {
      existing.delete(k)
    }
    update(el, item, index)
    if (el !== cursor) parent.insertBefore(el, cursor)
    else cursor = cursor.nextElementSibling
  })
  for (const el of existing.values()) el.remove()
}

const integerFormat = new Intl.NumberFormat('en-US')
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })
const moneyFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 })

export const formatInt = (n: number): string => (Number.isFinite(n) ? integerFormat.format(Math.round(n)) : '—')
export const formatCompact = (n: number): string => (Number.isFinite(n) ? compactFormat.format(n) : '—')
export const formatMoney = (n: number): string => (Number.isFinite(n) ? moneyFormat.format(n) : '—')

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—'
  if (n < 1024) return `${integerFormat.format(n)} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const hours = Math.floor(m / 60)
  if (hours < 48) return `${hours}h ${m % 60}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

export const formatClock = (ms: number): string => new Date(ms).toLocaleTimeString('en-GB', { hour12: false })
