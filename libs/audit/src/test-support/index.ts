export * from './batch-story.ts';
export * from './chromium.ts';
export * from './png.ts';
export * from './tamper.ts';
