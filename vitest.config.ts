import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start real servers (redis-server, ws) on loopback; give them room on a 2-core CI box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
