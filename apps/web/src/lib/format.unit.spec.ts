import { describe, expect, it } from 'vitest';
import { formatAge, formatHours, formatLateness, formatSpecification, humanize } from './format.ts';

describe('format', () => {
  it('turns API vocabulary into words', () => {
    expect(humanize('qc-testing')).toBe('QC testing');
    expect(humanize('CAPA_PROPOSED')).toBe('CAPA proposed');
    expect(humanize('conditionally-released')).toBe('Conditionally released');
  });

  it('writes specifications as people do', () => {
    expect(formatSpecification(97, null, '%')).toBe('≥ 97 %');
    expect(formatSpecification(95, 105, '%')).toBe('95–105 %');
    expect(formatSpecification(null, 0.5, 'EU/mL')).toBe('≤ 0.5 EU/mL');
    expect(formatSpecification(null, null, '')).toBe('no limits');
  });

  it('picks a readable unit for durations and ages', () => {
    expect(formatHours(5.4)).toBe('5 h');
    expect(formatHours(60)).toBe('2.5 d');
    expect(formatHours(null)).toBe('—');
    expect(formatLateness(26 * 60)).toBe('26 h late');
    const now = new Date('2026-05-01T12:00:00Z');
    expect(formatAge('2026-05-01T11:56:00Z', now)).toBe('4 min ago');
    expect(formatAge('2026-04-28T12:00:00Z', now)).toBe('3 d ago');
  });
});
