import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from './prometheus-text.ts';

describe('the strict Prometheus text reader of the operations specs', () => {
  it('reads families, labels (unescaped) and histogram samples', () => {
    const families = parsePrometheusText(
      [
        '# HELP took Time taken',
        '# TYPE took histogram',
        'took_bucket{le="0.1",operation="A"} 1',
        'took_bucket{le="+Inf",operation="A"} 2',
        'took_sum{operation="A"} 0.3',
        'took_count{operation="A"} 2',
        '# TYPE note gauge',
        'note{text="a \\"quoted\\" \\\\ word\\n"} Nan',
        '# TYPE far gauge',
        'far -Inf',
        '',
      ].join('\n'),
    );
    expect(families.get('took')!.type).toBe('histogram');
    expect(families.get('took')!.samples.at(-1)).toEqual({
      name: 'took_count',
      labels: { operation: 'A' },
      value: 2,
    });
    expect(families.get('took')!.samples[1]).toMatchObject({ labels: { le: '+Inf' }, value: 2 });
    expect(families.get('far')!.samples[0]!.value).toBe(-Infinity);
    expect(families.get('note')!.samples[0]!.labels.text).toBe('a "quoted" \\ word\n');
    expect(families.get('note')!.samples[0]!.value).toBeNaN();
  });

  it('refuses what a scraper would refuse, naming the line', () => {
    expect(() => parsePrometheusText('undeclared 1\n')).toThrow(/line 1 .*no declared family/);
    expect(() => parsePrometheusText('# TYPE g gauge\ng{a=1} 1\n')).toThrow(/malformed labels/);
    expect(() => parsePrometheusText('# TYPE g gauge\ng one\n')).toThrow(/not a number/);
    expect(() => parsePrometheusText('# TYPE g gauge\ng{a="x"} 1\ng{a="x"} 2\n')).toThrow(
      /line 3 repeats a series/,
    );
    expect(() => parsePrometheusText('# TYPE g gauges\n')).toThrow(/unknown type/);
  });
});
