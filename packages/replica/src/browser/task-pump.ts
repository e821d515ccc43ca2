// Runs queued work on the main thread in short tasks, yielding between them so that rendering, input
// and timers get their turn (DESIGN §9: no main-thread gap over 50 ms). A yield is a
// `scheduler.postTask` task where there is one (it takes turns fairly with timers and rendering;
// measured in Chromium, a MessageChannel loop starves timers twice as long), else a MessageChannel
// task (not clamped to 4 ms as setTimeout is).

interface TaskScheduler {
  postTask(callback: () => void, options: { priority: 'user-blocking' | 'user-visible' | 'background' }): Promise<void>
}

const scheduler = (globalThis as { scheduler?: TaskScheduler }).scheduler

export class TaskPump {
  readonly #queue: (() => void)[] = []
  readonly #budgetMs: number
  #scheduled = false
  #running = false
  #channel: MessageChannel | null = null

  /** `budgetMs`: most time spent running queued work in one task before yielding. */
  constructor(budgetMs = 8) {
    this.#budgetMs = budgetMs
  }

  /** True while work is queued or running: later work must queue behind it to keep the order. */
  get busy(): boolean {
    return this.#queue.length > 0 || this.#running
  }

  /** Queues `work` to run after everything queued before it, in a later task. */
  push(work: () => void): void {
    this.#queue.push(work)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    if (scheduler !== undefined) {
      void scheduler.postTask(() => this.#run(), { priority: 'user-visible' })
      return
    }
    if (this.#channel === null) {
      this.#channel = new MessageChannel()
      this.#channel.port1.onmessage = () => this.#run()
    }
    this.#channel.port2.postMessage(null)
  }

  #run(): void {
    this.#scheduled = false
    this.#running = true
    const started = performance.now()
    try {
      while (this.#queue.length > 0) {
        this.#queue.shift()!()
        if (performance.now() - started >= this.#budgetMs) break
      }
    } finally {
      this.#running = false
      if (this.#queue.length > 0) this.#schedule()
      else {
        this.#channel?.port1.close()
        this.#channel = null
      }
    }
  }
}
