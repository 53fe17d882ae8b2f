/**
 * A strict reader of Prometheus's text exposition format (0.0.4), as a scraper reads it: every
 * line is a HELP, a TYPE, or a sample of a family declared before it; label values unescaped;
 * a malformed line or a series given twice is an error, naming the line.
 */
export interface Sample {
  /** The sample's own name (`…_bucket`, `…_sum`, `…_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  const familyOf = (sample: string): Family | undefined => {
    for (const [name, family] of families)
      for (const suffix of SUFFIXES[family.type] ?? [''])
        if (`${name}${suffix}` === sample) return family;
    return undefined;
  };
  text.split('\n').forEach((line, index) => {
    const fail = (why: string) => {
      throw new Error(`line ${index + 1} ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') return;
    const comment = new RegExp(`^# (HELP|TYPE) (${NAME}) ?(.*)$`).exec(line);
    if (comment) {
      const [, keyword, name, rest] = comment as unknown as [string, string, string, string];
      const family = families.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
      if (keyword === 'HELP') family.help = rest;
      else if (TYPES.has(rest)) family.type = rest as Family['type'];
      else fail('has an unknown type');
      return;
    }
    if (line.startsWith('#')) return;
    const sample = SAMPLE.exec(line);
    if (!sample) return fail('is not a sample');
    const [, name, labelText = '', valueText] = sample as unknown as [
      string,
      string,
      string,
      string,
    ];
    const labels: Record<string, string> = {};
    for (let rest = labelText; rest.trim() !== ''; ) {
      const label = LABEL.exec(rest);
      if (!label) return fail('has malformed labels');
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(label[0].length);
    }
    const value = parseFloatAsGo(valueText);
    if (value === undefined) return fail('has a value that is not a number');
    const family = familyOf(name);
    if (!family) return fail('is a sample of no declared family');
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) fail('repeats a series');
    series.add(key);
    family.samples.push({ name, labels, value });
  });
  return families;
}

/** A value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case, an optional sign). */
function parseFloatAsGo(text: string): number | undefined {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special)
    return special[2]!.toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  const value = Number(text);
  return text.trim() === '' || Number.isNaN(value) ? undefined : value;
}
