export { run } from './cli.ts';
export { EXIT, UsageError, type CliIo } from './io.ts';
export { contentId, publish, type PublishOptions, type PublishSummary } from './publish.ts';
export { keysGenerate, type KeysGenerateOptions } from './keys-generate.ts';
export { readNdjson, type NdjsonLine } from './ndjson.ts';
export { outcomes, type OutcomesOptions } from './outcomes.ts';
