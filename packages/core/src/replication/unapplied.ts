// Stream commands a node could not apply: ones Replicast does not implement, relayed unchanged from
// a real Redis (upstream mode, and the replicas of such a node). Redis's own replica logs each and
// goes on (propagation-error-behavior ignore); so do ours. A stream full of them (a feed of XADDs)
// must not become a report per command: one is due for the first command of each name, then at
// every power of ten of the running total, which the caller counts.

/** Names remembered as reported; past this many, only the powers of ten are reported. */
const MAX_REPORTED_NAMES = 256

export class UnappliedCommandReports {
  readonly #names = new Set<string>()

  /** Whether the `count`-th unapplied command (1-based), named `name` (lowercase), is due a report. */
  due(name: string, count: number): boolean {
    const firstOfName = !this.#names.has(name) && this.#names.size < MAX_REPORTED_NAMES
    if (firstOfName) this.#names.add(name)
    return firstOfName || /^10*$/.test(String(count))
  }
}
