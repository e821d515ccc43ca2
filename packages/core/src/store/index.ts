// The public surface of core/store: re-exports only.
export {}
