// The public surface of @replicast/master.
export { createMaster, type Master } from './create-master.ts'
export { RespConnectionError } from './client-connection.ts'
export { MasterCore, REPLICAST_VERSION, type MasterEvents } from './master.ts'
export { MASTER_DEFAULTS, MasterOptionsError, resolveMasterOptions, type MasterOptions, type ReplicaUpgradeRequest } from './options.ts'
export { UpstreamConnectError, UpstreamRdbWarning, UpstreamUnappliedCommandError } from './upstream/upstream.ts'
