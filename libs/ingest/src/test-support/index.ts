export * from './partner-world.ts';
export * from './partner-feed.ts';
