/**
 * A small SVG line chart of time series (a few hundred points at most): no library, scales to its
 * container, and readable without seeing it — the figure's caption names what it shows and the
 * image's label states each series' latest value.
 */
import type { Point } from '../rates';

export interface Series {
  name: string;
  points: readonly Point[];
  /** CSS class of the line (its colour). */
  className: string;
}

interface LineChartProps {
  title: string;
  series: readonly Series[];
  /** How a value is written, e.g. "12 records/s". */
  format: (value: number) => string;
}

const W = 600;
const H = 160;
const PAD = { left: 8, right: 8, top: 10, bottom: 18 };

export function LineChart({ title, series, format }: LineChartProps) {
  const all = series.flatMap((s) => s.points);
  const first = Math.min(...all.map((p) => p.at));
  const last = Math.max(...all.map((p) => p.at));
  const max = Math.max(1, ...all.map((p) => p.value));
  const x = (at: number) => PAD.left + (last === first ? W - PAD.left - PAD.right : ((at - first) / (last - first)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const latest = series.map((s) => `${s.name}: ${s.points.length > 0 ? format(s.points[s.points.length - 1]!.value) : 'no data yet'}`).join('; ');
  const span = all.length > 1 ? Math.round((last - first) / 1000) : 0;
  return (
    <figure class="chart">
      <figcaption>
        <span class="chart-title">{title}</span>
        <span class="legend">
          {series.map((s) => (
            <span key={s.name} class={`legend-item ${s.className}`}>
              {s.name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}. ${latest}.`} preserveAspectRatio="none">
        <line class="axis" x1={PAD.left} y1={y(0)} x2={W - PAD.right} y2={y(0)} />
        <line class="grid" x1={PAD.left} y1={y(max)} x2={W - PAD.right} y2={y(max)} />
        {series.map((s) =>
          s.points.length > 0 ? <polyline key={s.name} class={`line ${s.className}`} points={s.points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')} /> : null,
        )}
      </svg>
      <p class="chart-scale">
        <span>top: {format(max)}</span>
        <span>{all.length > 1 ? `last ${span} s` : 'collecting…'}</span>
      </p>
    </figure>
  );
}
