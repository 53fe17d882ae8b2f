import { describe, expect, it } from 'vitest';
import { auditReportUrl, filenameFromDisposition } from './audit-report.ts';

describe('audit report download', () => {
  it('builds the report URL, with the instant in RFC 3339 and the timeline', () => {
    expect(auditReportUrl('b-1/x', 'html')).toBe('/audit/batches/b-1%2Fx/report?format=html');
    expect(
      auditReportUrl('b-1', 'json', { at: '2026-03-01T10:00:00+01:00', timeline: 'occurred' }),
    ).toBe(
      '/audit/batches/b-1/report?format=json&asOf=2026-03-01T09%3A00%3A00.000Z&timeline=occurred',
    );
  });

  it('reads the filename from content-disposition', () => {
    expect(filenameFromDisposition('attachment; filename="audit-b-1.html"')).toBe('audit-b-1.html');
    expect(filenameFromDisposition('attachment; filename=audit-b-1.json')).toBe('audit-b-1.json');
    expect(
      filenameFromDisposition(
        'attachment; filename="fallback.html"; filename*=UTF-8\'\'audit-%C3%A9.html',
      ),
    ).toBe('audit-é.html');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromDisposition('attachment')).toBeUndefined();
    expect(filenameFromDisposition(null)).toBeUndefined();
  });
});
