// A raw replica that records everything its master sends: the snapshot of a full sync and then every
// STREAM byte from the snapshot's offset S on. From those it rebuilds the dataset at ANY offset of the
// stream at a command boundary, with core's Dataset, exactly as a replica that stopped there would
// hold it: the yardstick for "after a crash the stored data is exactly the master's state at the
// stored offset" (DESIGN §5).
import {
  Dataset,
  decodeMasterFrame,
  encodeReplicaFrame,
  LINK_SUBPROTOCOL,
  RdbReader,
  RequestDecoder,
  type RespValue,
} from '@replicast/core'
import { WebSocket } from 'ws'

function text(value: RespValue): string {
  if (value.kind === 'simple') return value.value
  if (value.kind === 'error') return `-${value.message}`
  return JSON.stringify(value)
}

export class StreamRecorder {
  readonly #ws: WebSocket
  readonly #snapshot: Uint8Array[] = []
  readonly #stream: Uint8Array[] = []
  #replid = ''
  /** S: the offset of the snapshot. */
  #snapshotOffset = -1
  /** The offset up to which the stream has been received. */
  #offset = -1
  #waiters: { offset: number; resolve: () => void }[] = []
  #ack: ReturnType<typeof setInterval>
  readonly ready: Promise<void>

  private constructor(url: string) {
    const ws = new WebSocket(url, LINK_SUBPROTOCOL)
    ws.binaryType = 'arraybuffer'
    this.#ws = ws
    let snapshotDone: () => void = () => {}
    let failed: (error: Error) => void = () => {}
    this.ready = new Promise<void>((resolve, reject) => {
      snapshotDone = resolve
      failed = reject
    })
    let remaining = -1
    ws.on('open', () => {
      ws.send(encodeReplicaFrame(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']))
      ws.send(encodeReplicaFrame(['PSYNC', '?', '-1']))
    })
    ws.on('error', (error) => failed(error))
    ws.on('message', (data: ArrayBuffer) => {
      const message = decodeMasterFrame(new Uint8Array(data))
      switch (message.kind) {
        case 'reply': {
          const reply = text(message.value)
          const full = /^FULLRESYNC ([0-9a-f]{40}) (\d+)$/.exec(reply)
          if (full !== null) {
            this.#replid = full[1]!
            this.#snapshotOffset = Number(full[2])
          } else if (reply !== 'OK') {
            failed(new Error(`the master answered the recorder's handshake with ${reply}`))
          }
          return
        }
        case 'snapshot-begin':
          remaining = message.length
          return
        case 'snapshot-chunk':
          this.#snapshot.push(message.bytes.slice())
          remaining -= message.bytes.length
          if (remaining === 0) {
            this.#offset = this.#snapshotOffset
            ws.send(encodeReplicaFrame(['REPLCONF', 'ACK', String(this.#offset)]))
            snapshotDone()
          }
          return
        case 'stream':
          if (message.startOffset !== this.#offset) {
            failed(new Error(`the recorder got a stream frame at ${message.startOffset}, expected ${this.#offset}`))
            return
          }
          this.#stream.push(message.bytes.slice())
          this.#offset += message.bytes.length
          for (const waiter of [...this.#waiters]) {
            if (this.#offset < waiter.offset) continue
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
            waiter.resolve()
          }
          return
        case 'keepalive':
          return
      }
    })
    this.#ack = setInterval(() => {
      if (this.#offset >= 0 && ws.readyState === WebSocket.OPEN) ws.send(encodeReplicaFrame(['REPLCONF', 'ACK', String(this.#offset)]))
    }, 1000)
  }

  /** Attaches to the master at `url`; resolves once the snapshot is in. */
  static async attach(url: string): Promise<StreamRecorder> {
    const recorder = new StreamRecorder(url)
    await recorder.ready
    return recorder
  }

  get replid(): string {
    return this.#replid
  }

  get snapshotOffset(): number {
    return this.#snapshotOffset
  }

  get offset(): number {
    return this.#offset
  }

  /** Resolves once the stream has been received up to `offset`. */
  waitForOffset(offset: number): Promise<void> {
    if (this.#offset >= offset) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push({ offset, resolve }))
  }

  /**
   * The dataset at exactly `offset` (S ≤ offset ≤ received), replaying the stream as a replica
   * applies it (MULTI … EXEC whole). Throws when `offset` is not at a command boundary.
   */
  datasetAt(offset: number): Dataset {
    if (offset < this.#snapshotOffset || offset > this.#offset) {
      throw new Error(`offset ${offset} is outside what was recorded (${this.#snapshotOffset}..${this.#offset})`)
    }
    const dataset = new Dataset({ role: 'replica' })
    const reader = new RdbReader()
    for (const chunk of this.#snapshot) for (const event of reader.push(chunk)) if (event.kind === 'key') dataset.loadRecord(event.record)
    reader.finish()
    const decoder = new RequestDecoder({ allowInline: false })
    const session = dataset.createSession()
    let at = this.#snapshotOffset
    let inMulti = false
    for (const chunk of this.#stream) {
      if (at >= offset) break
      decoder.push(chunk)
      for (let argv = decoder.next(); argv !== undefined; argv = decoder.next()) {
        at += decoder.lastCommandBytes
        if (argv.length === 0) continue
        const name = argv[0]!.toLowerCase()
        if (name === 'select') session.db = Number(argv[1])
        else dataset.applyReplicated(session, argv, Date.now())
        if (name === 'multi') inMulti = true
        if (name === 'exec') inMulti = false
        if (at >= offset) break
      }
    }
    if (at !== offset || inMulti) throw new Error(`offset ${offset} is not at a command boundary outside MULTI (stopped at ${at}${inMulti ? ', inside MULTI' : ''})`)
    return dataset
  }

  close(): void {
    clearInterval(this.#ack)
    this.#ws.terminate()
  }
}
