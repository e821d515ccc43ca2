// The demo: a feed that writes a realistic dataset into a master, and the dashboard that shows it.
export { DEMO_KEYS, DEMO_PATTERNS, isDemoKey } from './keys.ts'
export { DemoGenerator, DEMO_GENERATOR_DEFAULTS, type DemoCommand, type DemoGeneratorOptions } from './generator.ts'
export { startDemoFeed, DEMO_FEED_DEFAULTS, type CommandTarget, type DemoFeed, type DemoFeedOptions } from './feed.ts'
export { DEFAULT_DASHBOARD_DIR, DEMO_FLAGS_USAGE, demoMasterOptions, startDemo, takeDemoFlags, type DemoFlags } from './cli.ts'
