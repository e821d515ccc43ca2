// The public surface of core/replication: re-exports only.
export {}
