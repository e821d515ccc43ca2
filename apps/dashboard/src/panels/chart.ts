// The time series: requests per second and p95 latency, one point a second, from two capped lists
// (RPUSH + LTRIM, "<ms>:<value>" entries). Drawn by hand on a canvas: an area for requests/s on the
// left axis, a line for latency on the right one, and a crosshair with the values under the pointer.
import { DEMO_KEYS } from '@replicast/master/demo-keys'
import { h, formatClock, formatInt, setText } from '../dom.ts'
import type { Panel } from '../live.ts'
import type { DashboardReplica } from '../replica.ts'

interface Point {
  readonly t: number
  readonly v: number
}

const HEIGHT = 260
const PAD = { left: 52, right: 48, top: 16, bottom: 28 }

function parseSeries(entries: readonly string[]): Point[] {
  const out: Point[] = []
  for (const entry of entries) {
    const colon = entry.indexOf(':')
    const t = Number(entry.slice(0, colon))
    const v = Number(entry.slice(colon + 1))
    if (colon > 0 && Number.isFinite(t) && Number.isFinite(v)) out.push({ t, v })
  }
  return out
}

/** A round step (1, 2, 2.5 or 5 × 10^n) at or above `raw`. */
function niceStep(raw: number): number {
  if (!(raw > 0)) return 1
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)))
  for (const f of [1, 2, 2.5, 5, 10]) if (f * magnitude >= raw - 1e-9) return f * magnitude
  return 10 * magnitude
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback
}

export function chartPanel(replica: DashboardReplica, mount: HTMLElement): Panel {
  const rpsNow = h('span', { class: 'chart-figure', 'data-testid': 'rps-now' }, '—')
  const p95Now = h('span', { class: 'chart-figure secondary' }, '—')
  const canvas = h('canvas', { class: 'chart-canvas', 'data-testid': 'rps-chart', role: 'img', 'aria-label': 'Requests per second over the last two minutes' })
  const tooltip = h('div', { class: 'chart-tooltip', hidden: true })
  mount.append(
    h('header', { class: 'panel-head' },
      h('div', null, h('h2', null, 'Traffic'), h('p', { class: 'panel-note' }, `${DEMO_KEYS.seriesRps}, ${DEMO_KEYS.seriesLatency} · RPUSH + LTRIM, one point a second`)),
      h('div', { class: 'chart-legend' },
        h('span', { class: 'legend-item rps' }, h('i'), 'requests/s ', rpsNow),
        h('span', { class: 'legend-item p95' }, h('i'), 'p95 latency ', p95Now))),
    h('div', { class: 'chart-wrap' }, canvas, tooltip),
  )

  let rps: Point[] = []
  let latency: Point[] = []
  let hoverX: number | null = null

  const draw = (): void => {
    const width = canvas.clientWidth
    if (width === 0) return
    const dpr = window.devicePixelRatio || 1
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(HEIGHT * dpr)) {
      canvas.width = Math.round(width * dpr)
      canvas.height = Math.round(HEIGHT * dpr)
    }
    const ctx = canvas.getContext('2d')
    if (ctx === null) return
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, width, HEIGHT)
    const colors = {
      grid: cssVar('--chart-grid', 'rgba(255,255,255,0.07)'),
      text: cssVar('--text-dim', '#8b95a7'),
      rps: cssVar('--blue', '#4f8cff'),
      p95: cssVar('--orange', '#ff9f43'),
    }
    const plotW = width - PAD.left - PAD.right
    const plotH = HEIGHT - PAD.top - PAD.bottom
    ctx.font = '11px ui-sans-serif, system-ui, sans-serif'
    ctx.textBaseline = 'middle'
    if (rps.length < 2) {
      ctx.fillStyle = colors.text
      ctx.textAlign = 'center'
      ctx.fillText('waiting for data…', width / 2, HEIGHT / 2)
      return
    }
    const t1 = rps[rps.length - 1]!.t
    const t0 = Math.min(rps[0]!.t, t1 - 60_000)
    // Left axis: about four round intervals over the data; the right axis shares its grid lines.
    const yStep = niceStep((Math.max(...rps.map((p) => p.v)) * 1.08) / 4)
    const intervals = Math.max(2, Math.ceil((Math.max(...rps.map((p) => p.v)) * 1.08) / yStep))
    const yMax = yStep * intervals
    const lMax = niceStep((Math.max(1, ...latency.map((p) => p.v)) * 1.15) / intervals) * intervals
    const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * plotW
    const y = (v: number) => PAD.top + plotH - (v / yMax) * plotH
    const yl = (v: number) => PAD.top + plotH - (v / lMax) * plotH

    // Grid and axes' labels.
    ctx.strokeStyle = colors.grid
    ctx.lineWidth = 1
    ctx.fillStyle = colors.text
    for (let i = 0; i <= intervals; i++) {
      const gy = Math.round(PAD.top + (plotH * i) / intervals) + 0.5
      ctx.beginPath()
      ctx.moveTo(PAD.left, gy)
      ctx.lineTo(PAD.left + plotW, gy)
      ctx.stroke()
      ctx.textAlign = 'right'
      ctx.fillText(formatInt(yMax * (1 - i / intervals)), PAD.left - 8, gy)
      ctx.textAlign = 'left'
      ctx.fillText(`${Math.round(lMax * (1 - i / intervals))} ms`, PAD.left + plotW + 8, gy)
    }
    ctx.textAlign = 'center'
    ctx.textBaseline = 'top'
    for (let t = Math.ceil(t0 / 30_000) * 30_000; t <= t1; t += 30_000) {
      ctx.fillText(formatClock(t), x(t), PAD.top + plotH + 8)
    }

    // Requests/s: a filled area under a line.
    ctx.save()
    ctx.beginPath()
    ctx.rect(PAD.left, PAD.top - 2, plotW + 2, plotH + 4)
    ctx.clip()
    const gradient = ctx.createLinearGradient(0, PAD.top, 0, PAD.top + plotH)
    gradient.addColorStop(0, `${colors.rps}66`)
    gradient.addColorStop(1, `${colors.rps}00`)
    ctx.beginPath()
    ctx.moveTo(x(rps[0]!.t), y(0))
    for (const p of rps) ctx.lineTo(x(p.t), y(p.v))
    ctx.lineTo(x(rps[rps.length - 1]!.t), y(0))
    ctx.closePath()
    ctx.fillStyle = gradient
    ctx.fill()
    ctx.beginPath()
    rps.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.t), y(p.v)) : ctx.lineTo(x(p.t), y(p.v))))
    ctx.strokeStyle = colors.rps
    ctx.lineWidth = 2
    ctx.lineJoin = 'round'
    ctx.stroke()

    // Latency: a thinner line on the right axis.
    ctx.beginPath()
    latency.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.t), yl(p.v)) : ctx.lineTo(x(p.t), yl(p.v))))
    ctx.strokeStyle = colors.p95
    ctx.lineWidth = 1.5
    ctx.setLineDash([4, 3])
    ctx.stroke()
    ctx.setLineDash([])
    ctx.restore()

    // The newest point.
    const last = rps[rps.length - 1]!
    ctx.beginPath()
    ctx.arc(x(last.t), y(last.v), 4, 0, Math.PI * 2)
    ctx.fillStyle = colors.rps
    ctx.shadowColor = colors.rps
    ctx.shadowBlur = 10
    ctx.fill()
    ctx.shadowBlur = 0

    // Crosshair and tooltip.
    if (hoverX !== null && hoverX >= PAD.left && hoverX <= PAD.left + plotW) {
      let nearest = rps[0]!
      for (const p of rps) if (Math.abs(x(p.t) - hoverX) < Math.abs(x(nearest.t) - hoverX)) nearest = p
      const lat = latency.find((p) => p.t === nearest.t)
      const cx = Math.round(x(nearest.t)) + 0.5
      ctx.strokeStyle = colors.text
      ctx.globalAlpha = 0.5
      ctx.beginPath()
      ctx.moveTo(cx, PAD.top)
      ctx.lineTo(cx, PAD.top + plotH)
      ctx.stroke()
      ctx.globalAlpha = 1
      tooltip.hidden = false
      tooltip.textContent = `${formatClock(nearest.t)} · ${formatInt(nearest.v)} req/s${lat ? ` · p95 ${lat.v} ms` : ''}`
      const left = Math.min(Math.max(cx - tooltip.offsetWidth / 2, 0), width - tooltip.offsetWidth)
      tooltip.style.left = `${left}px`
    } else {
      tooltip.hidden = true
    }
  }

  canvas.addEventListener('pointermove', (e) => {
    hoverX = e.offsetX
    draw()
  })
  canvas.addEventListener('pointerleave', () => {
    hoverX = null
    draw()
  })
  new ResizeObserver(() => draw()).observe(canvas)

  return {
    keys: [DEMO_KEYS.seriesRps, DEMO_KEYS.seriesLatency],
    async refresh() {
      const [a, b] = await Promise.all([replica.lrange(DEMO_KEYS.seriesRps, 0, -1), replica.lrange(DEMO_KEYS.seriesLatency, 0, -1)])
      rps = parseSeries(a)
      latency = parseSeries(b)
      const last = rps[rps.length - 1]
      const lastLatency = latency[latency.length - 1]
      setText(rpsNow, last ? formatInt(last.v) : '—')
      setText(p95Now, lastLatency ? `${lastLatency.v} ms` : '—')
      draw()
      // What the canvas now shows, for tests and tools: its newest point's time (ms), '' before one.
      canvas.dataset['lastPointMs'] = last ? String(last.t) : ''
    },
  }
}
