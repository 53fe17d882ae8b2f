// One QC result against its specification: the accepted band, the limits and the measured value
// (red when out of specification), on an axis wide enough to show all three.
import {
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  ScatterChart,
  XAxis,
  YAxis,
} from 'recharts';
import type { QcResult } from '../lib/api.ts';
import { formatNumber, formatSpecification } from '../lib/format.ts';

export function QcChart({ result }: { result: QcResult }) {
  const lower = result.specificationLower;
  const upper = result.specificationUpper;
  const points = [result.value, lower, upper].filter((v): v is number => v !== null);
  const min = Math.min(...points);
  const max = Math.max(...points);
  const [domain, ticks] = niceDomain(min, max);
  const colour = result.withinSpecification ? '#1a7f4b' : '#c0292b';
  return (
    <figure className="qc-chart">
      <figcaption>
        <span className="qc-test">{result.test}</span>
        <span className={result.withinSpecification ? 'qc-value ok' : 'qc-value oos'}>
          {formatNumber(result.value)} {result.unit}
          {result.withinSpecification ? ' · within specification' : ' · OUT OF SPECIFICATION'}
        </span>
      </figcaption>
      <div
        className="qc-plot"
        role="img"
        aria-label={`${result.test}: ${formatNumber(result.value)} ${result.unit}, specification ${formatSpecification(lower, upper, result.specificationUnit)}`}
      >
        <ResponsiveContainer width="100%" height={74}>
          <ScatterChart margin={{ top: 10, right: 24, bottom: 4, left: 24 }}>
            <XAxis
              type="number"
              dataKey="x"
              domain={domain}
              tickFormatter={(value: number) => formatNumber(value)}
              tick={{ fontSize: 12, fill: '#4a5568' }}
              ticks={ticks}
              allowDataOverflow
            />
            <YAxis type="number" dataKey="y" hide domain={[-1, 1]} />
            <ReferenceArea
              x1={lower ?? domain[0]}
              x2={upper ?? domain[1]}
              y1={-1}
              y2={1}
              fill="#1a7f4b"
              fillOpacity={0.12}
              ifOverflow="hidden"
            />
            {lower !== null ? (
              <ReferenceLine x={lower} stroke="#1a7f4b" strokeDasharray="4 3" />
            ) : null}
            {upper !== null ? (
              <ReferenceLine x={upper} stroke="#1a7f4b" strokeDasharray="4 3" />
            ) : null}
            <Scatter
              data={[{ x: result.value, y: 0 }]}
              fill={colour}
              shape="circle"
              isAnimationActive={false}
            />
          </ScatterChart>
        </ResponsiveContainer>
      </div>
      <p className="qc-spec">
        Specification {formatSpecification(lower, upper, result.specificationUnit)}
        {result.method ? ` · ${result.method}` : ''}
        {result.corrected ? (
          <span className="tag tag-warning">Changed since first entry</span>
        ) : null}
      </p>
    </figure>
  );
}

/** An axis range around [min, max] with some room, on round numbers (1, 2 or 5 × 10^n steps). */
export function niceDomain(min: number, max: number): [[number, number], number[]] {
  const span = Math.max(max - min, Math.abs(max) * 0.02, 1e-9);
  const raw = (span * 2.2) / 6;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const centre = (min + max) / 2;
  const from = Math.floor((centre - span * 1.1) / step);
  const to = Math.ceil((centre + span * 1.1) / step);
  const ticks = Array.from({ length: to - from + 1 }, (_, i) =>
    Number(((from + i) * step).toPrecision(12)),
  );
  return [[ticks[0]!, ticks.at(-1)!], ticks];
}
