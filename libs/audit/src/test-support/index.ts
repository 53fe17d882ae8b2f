export * from './batch-story.ts';
export * from './tamper.ts';
