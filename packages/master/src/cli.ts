// The `replicast` command.
//
//   replicast master [flags]    run a master (RESP on --port, replicas on --ws-port)
//   replicast help              flags and defaults
//   replicast version
import { CliUsageError, masterUsage, parseMasterFlags } from './cli-args.ts'
import { createMaster } from './create-master.ts'
import { DEMO_FLAGS_USAGE, demoMasterOptions, startDemo, takeDemoFlags } from './demo/index.ts'
import { REPLICAST_VERSION } from './master.ts'
import { MasterOptionsError } from './options.ts'

const USAGE = `replicast ${REPLICAST_VERSION}: Redis-style replication from a Node master to browser and Node replicas.

Usage:
  replicast master [flags]   run a master
  replicast help             this text and every flag
  replicast version          print the version

${masterUsage()}

${DEMO_FLAGS_USAGE}`

export async function main(args: readonly string[]): Promise<number> {
  const [command = 'help', ...rest] = args
  switch (command) {
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE)
      return 0
    case 'version':
    case '--version':
      console.log(REPLICAST_VERSION)
      return 0
    case 'master':
      return runMaster(rest)
    default:
      console.error(`replicast: unknown command "${command}"\n\n${USAGE}`)
      return 2
  }
}

async function runMaster(args: readonly string[]): Promise<number> {
  let master
  let demo
  try {
    demo = takeDemoFlags(args)
    master = await createMaster({ ...parseMasterFlags(demo.rest), ...demoMasterOptions(demo.flags) })
  } catch (error) {
    if (error instanceof CliUsageError || error instanceof MasterOptionsError) {
      console.error(`replicast: ${error.message}`)
      return 2
    }
    const e = error as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE') {
      console.error(`replicast: ${e.message}: another process holds the port; pick others with --port and --ws-port.`)
      return 1
    }
    throw error
  }
  master.on('replica-error', (error, peer) => console.error(`replicast: replica ${peer.transport} ${peer.remoteAddress} closed: [${error.code ?? 'ERR'}] ${error.message}`))
  master.on('error', (error) => console.error(`replicast: ${error.message}`))
  const host = master.core.options.host
  console.log(`replicast master ${REPLICAST_VERSION}`)
  console.log(`  RESP clients:  redis-cli -h ${host} -p ${master.port}`)
  console.log(`  replicas:      ${master.url}`)
  // In upstream mode the replid is Redis's, known only after the first sync.
  if (master.core.options.replicaOf === undefined) console.log(`  replid:        ${master.replid}`)
  const upstream = master.core.upstream
  if (upstream !== null) console.log(`  replica of:    ${upstream.host}:${upstream.port} (upstream mode: read-only, Redis's replid and offsets)`)
  const feed = demo.flags.demo ? startDemo(master, demo.flags) : null
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      console.log(`replicast: ${signal}, closing`)
      resolve()
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
  })
  feed?.stop()
  await master.close()
  return 0
}
