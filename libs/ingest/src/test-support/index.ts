export * from './partner-world.ts';
export * from './partner-feed.ts';
export * from './exchange.ts';
