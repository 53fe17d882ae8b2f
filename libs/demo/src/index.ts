export {
  DEMO_FEED_SYSTEM_ID,
  demoApiKeyRecords,
  loadOrCreateDemoKeys,
  type DemoKeys,
  type DemoOrganizationKeys,
} from './demo-keys.ts';
export { demoPersonas, type DemoOrganizationPersonas, type DemoPersona } from './demo-personas.ts';
export { seedDemoWorld } from './seed-demo-world.ts';
export {
  DEMO_PACES,
  startDemoFeed,
  type DemoFeed,
  type DemoFeedLogger,
  type DemoFeedOptions,
  type DemoFeedStats,
  type DemoPace,
} from './feed/demo-feed.ts';
