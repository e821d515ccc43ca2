// A TCP proxy between a redis-server replica and a master that lets the replica's `REPLCONF ACK`s
// through only in answer to a `REPLCONF GETACK *` from the master. A Redis replica ACKs once a
// second by itself, so a WAIT it satisfies proves nothing about GETACK; behind this proxy, once
// `answerOnlyGetack()` is on, the master hears an ACK only if it asked for one. Stops with its test.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { onTestFinished } from 'vitest'

const GETACK = Buffer.from('*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n')
const ACK_PREFIX = Buffer.from('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n')

export interface GetackProxy {
  readonly port: number
  /** GETACKs the master sent through the proxy. */
  readonly getacks: number
  /** ACKs the replica sent that the proxy held back (not answers to a GETACK). */
  readonly heldAcks: number
  /** From now on, an ACK reaches the master only as the answer to a GETACK. */
  answerOnlyGetack(): void
}

export async function startGetackProxy(masterPort: number): Promise<GetackProxy> {
  let filtering = false
  let unanswered = 0
  const state = { getacks: 0, heldAcks: 0 }
  const sockets = new Set<Socket>()
  const server = createServer((replica) => {
    const master = connect(masterPort, '127.0.0.1')
    sockets.add(replica).add(master)
    // A GETACK may arrive cut across chunks: keep the tail that could be the start of one.
    let tail = Buffer.alloc(0)
    master.on('data', (chunk: Buffer) => {
      const seen = Buffer.concat([tail, chunk])
      for (let at = seen.indexOf(GETACK); at >= 0; at = seen.indexOf(GETACK, at + GETACK.length)) {
        state.getacks++
        unanswered++
      }
      tail = seen.subarray(Math.max(0, seen.length - GETACK.length + 1))
      replica.write(chunk)
    })
    // After its handshake a replica sends only ACKs, each `*3 … ACK … $n <offset>` in one write.
    let pending = Buffer.alloc(0)
    replica.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        const end = ackEnd(pending)
        if (end === -1) break
        if (end === 0) {
          // Not an ACK (the handshake): pass everything on as it is.
          master.write(pending)
          pending = Buffer.alloc(0)
          break
        }
        const ack = pending.subarray(0, end)
        pending = pending.subarray(end)
        if (!filtering || unanswered > 0) {
          if (filtering) unanswered--
          master.write(ack)
        } else {
          state.heldAcks++
        }
      }
    })
    const closeBoth = (): void => {
      replica.destroy()
      master.destroy()
    }
    replica.on('close', closeBoth).on('error', closeBoth)
    master.on('close', closeBoth).on('error', closeBoth)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return {
    port: (server.address() as AddressInfo).port,
    get getacks() { return state.getacks },
    get heldAcks() { return state.heldAcks },
    answerOnlyGetack: () => {
      // GETACKs before now were answered (or will be) under the old rule: start counting afresh.
      filtering = true
      unanswered = 0
    },
  }
}

/** The length of the whole ACK at the start of `bytes`; -1 if it may be one not yet whole; 0 if it is not one. */
function ackEnd(bytes: Buffer): number {
  const prefix = Math.min(bytes.length, ACK_PREFIX.length)
  if (!bytes.subarray(0, prefix).equals(ACK_PREFIX.subarray(0, prefix))) return 0
  if (bytes.length === prefix) return -1
  // `$<n>\r\n<offset>\r\n` follows the prefix.
  const lengthEnd = bytes.indexOf('\r\n', ACK_PREFIX.length)
  if (lengthEnd === -1) return -1
  const n = Number(bytes.subarray(ACK_PREFIX.length + 1, lengthEnd).toString())
  const end = lengthEnd + 2 + n + 2
  return bytes.length >= end ? end : -1
}
