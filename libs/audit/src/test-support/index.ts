export * from './batch-story.ts';
