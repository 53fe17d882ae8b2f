import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DOMAIN_ERROR_CODES,
  DomainError,
  domainErrorCatalogue,
  isDomainError,
} from './domain-error.ts';

describe('DomainError', () => {
  it('carries a stable code, a sentence and details', () => {
    const error = new DomainError('qp.requires-coa', 'QP certification needs a CoA.', {
      batchId: 'b-1',
    });
    expect(error).toBeInstanceOf(Error);
    expect(isDomainError(error)).toBe(true);
    expect(isDomainError(new Error('x'))).toBe(false);
    expect(error.code).toBe('qp.requires-coa');
    expect(error.name).toBe('DomainError');
    expect(error.details).toEqual({ batchId: 'b-1' });
  });

  it('lists machine-readable codes, each explained', () => {
    expect(DOMAIN_ERROR_CODES).toEqual(Object.keys(domainErrorCatalogue));
    for (const code of DOMAIN_ERROR_CODES) {
      expect(code).toMatch(/^[a-z-]+(\.[a-z-]+)+$/);
      expect(domainErrorCatalogue[code].length).toBeGreaterThan(10);
    }
  });

  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = DOMAIN_ERROR_CODES.filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
