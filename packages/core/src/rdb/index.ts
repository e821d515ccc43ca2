// The public surface of core/rdb: re-exports only.
export {}
