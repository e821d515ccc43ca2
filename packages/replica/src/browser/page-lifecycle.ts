// What a page's life does to a replication link, and the clock the leader's replica runs on.
//
// Signals (watchPage):
//   offline             the link is dead or about to be: close it now rather than wait out the
//                       timeout, and stop retrying until `online` (one probe after a long jittered
//                       delay, in case the browser's idea of "offline" is wrong)
//   online              reconnect at once (PSYNC from the durable point)
//   visibilitychange    back in the foreground (visible), or resumed (the Page Lifecycle `resume`,
//                       bfcache `pageshow`): skip what is left of the backoff and reconnect now
//
// The clock (StallClock): the replica machine declares the master dead when nothing was heard for
// `timeoutMs`, measured on its clock between ticks and messages. A background tab's timers are
// throttled (to once a minute after five minutes hidden), a frozen tab or a sleeping laptop runs
// none, and on resume the late tick can run before the messages that waited in the socket: measured
// on the wall clock, the master would look silent for the whole pause. StallClock does not count a
// gap between two consecutive readings longer than `stallMs` (the page was not running, so it could
// not have heard anything); it counts such a gap as one `tickMs`. A live link then survives any pause,
// a dead one is found by the next failing send or `timeoutMs` of running time later. Messages read the
// same clock, so "heard at" and "now" stay comparable.
//
// Deliberately left out: the link machine itself (core) and the reconnect backoff (the shell's).

export interface PageSignals {
  online(): void
  offline(): void
  /** The page is visible again, or resumed from being frozen or from the back/forward cache. */
  resumed(): void
}

/** Listens to the page's online/offline/visibility/lifecycle events; returns a function that stops. */
export function watchPage(signals: PageSignals): () => void {
  const target = globalThis as unknown as Partial<Pick<Window, 'addEventListener' | 'removeEventListener'>>
  const doc = (globalThis as { document?: Document }).document
  if (typeof target.addEventListener !== 'function') return () => {}
  const onOnline = () => signals.online()
  const onOffline = () => signals.offline()
  const onVisibility = () => {
    if (doc?.visibilityState === 'visible') signals.resumed()
  }
  const onResume = () => signals.resumed()
  const onPageShow = (event: Event) => {
    if ((event as PageTransitionEvent).persisted) signals.resumed()
  }
  target.addEventListener('online', onOnline)
  target.addEventListener('offline', onOffline)
  target.addEventListener('pageshow', onPageShow)
  doc?.addEventListener('visibilitychange', onVisibility)
  doc?.addEventListener('resume', onResume)
  return () => {
    target.removeEventListener!('online', onOnline)
    target.removeEventListener!('offline', onOffline)
    target.removeEventListener!('pageshow', onPageShow)
    doc?.removeEventListener('visibilitychange', onVisibility)
    doc?.removeEventListener('resume', onResume)
  }
}

/** True when the browser reports being offline. */
export function browserOffline(): boolean {
  return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false
}

/** A monotonic clock (ms) that does not count the time the page was not running. See the header. */
export class StallClock {
  readonly #stallMs: number
  readonly #stepMs: number
  readonly #wall: () => number
  #last: number
  /** Wall-clock time not counted so far. */
  #skipped = 0

  constructor(options: { stallMs: number; stepMs: number; wall?: () => number }) {
    this.#stallMs = options.stallMs
    this.#stepMs = options.stepMs
    this.#wall = options.wall ?? Date.now
    this.#last = this.#wall()
  }

  readonly now = (): number => {
    const wall = this.#wall()
    const gap = wall - this.#last
    if (gap > this.#stallMs) this.#skipped += gap - this.#stepMs
    // The wall clock went back (set by the user or NTP): stand still rather than run backwards.
    else if (gap < 0) this.#skipped += gap
    this.#last = wall
    return wall - this.#skipped
  }

  /** Wall-clock time not counted so far (to turn a reading of this clock back into wall time). */
  get skippedMs(): number {
    return this.#skipped
  }
}
