// What the two replica front objects (Replica, and BrowserReplica shared by tabs) have in common,
// written once: the typed reads, over the one thing that differs between them, how `call` reaches
// the dataset (in this thread, or in the tab's worker); and status events that report real changes,
// not every tick. Each typed read is a Redis read command whose reply it only reshapes, so replies and
// errors (WRONGTYPE, …) are Redis's.
import { Emitter, type Listener } from './emitter.ts'
import type { ReadArg as Arg, ReplyValue } from './reads.ts'

export abstract class ReplicaFront<Events extends { [K in keyof Events]: unknown[] } & { error: [Error] }> extends Emitter<Events> {
  #lastStatusJson = ''

  /** Runs a read command in database `db`; bulk strings as UTF-8 text. */
  abstract call(args: readonly Arg[], db?: number): Promise<ReplyValue>

  /** As `call`, with bulk strings as bytes. */
  abstract callBytes(args: readonly Arg[], db?: number): Promise<ReplyValue>

  get(key: Arg, db = 0): Promise<string | null> {
    return this.call(['GET', key], db) as Promise<string | null>
  }

  hgetall(key: Arg, db = 0): Promise<Record<string, string>> {
    return this.call(['HGETALL', key], db).then((reply) => {
      const flat = reply as string[]
      const out: Record<string, string> = Object.create(null) as Record<string, string>
      for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!
      return out
    })
  }

  lrange(key: Arg, start: number, stop: number, db = 0): Promise<string[]> {
    return this.call(['LRANGE', key, start, stop], db) as Promise<string[]>
  }

  smembers(key: Arg, db = 0): Promise<string[]> {
    return this.call(['SMEMBERS', key], db) as Promise<string[]>
  }

  /** ZRANGE start stop WITHSCORES, as [member, score] pairs (REV for highest first). */
  async zrangeWithScores(key: Arg, start: number, stop: number, options: { rev?: boolean; db?: number } = {}): Promise<[string, number][]> {
    const args: Arg[] = ['ZRANGE', key, start, stop]
    if (options.rev === true) args.push('REV')
    args.push('WITHSCORES')
    const flat = (await this.call(args, options.db ?? 0)) as string[]
    const out: [string, number][] = []
    for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1]!)])
    return out
  }

  /** KEYS pattern (glob), as text. */
  keys(pattern = '*', db = 0): Promise<string[]> {
    return this.call(['KEYS', pattern], db) as Promise<string[]>
  }

  /**
   * Called when a 'change' listener comes or goes: a front makes change records (or has its worker
   * send them) only while someone listens.
   */
  protected changeListenersChanged(): void {}

  override on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    // The remover super.on returns calls this.off, which reports the change again.
    const off = super.on(event, listener)
    if (event === 'change') this.changeListenersChanged()
    return off
  }

  override off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    super.off(event, listener)
    if (event === 'change') this.changeListenersChanged()
  }

  /** Whether `status` differs from the last one asked about, leaving out the fields that move with the clock alone. */
  protected isNewStatus(status: { readonly lagMs: number | null; readonly heardAt: number | null }): boolean {
    const json = JSON.stringify({ ...status, lagMs: null, heardAt: null })
    if (json === this.#lastStatusJson) return false
    this.#lastStatusJson = json
    return true
  }
}
