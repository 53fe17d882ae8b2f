import type { ServiceTargets } from './services.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    concordServices: ServiceTargets;
  }
}
