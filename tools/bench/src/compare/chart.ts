/**
 * The benchmark chart as a self-contained SVG (no library): horizontal grouped bars of read-back
 * and produce throughput per workload, one colour per system, and end-to-end latency (p50, p99)
 * per system. Linear scales starting at zero; every bar carries its value.
 */
import type { LatencyRow, ThroughputRow } from './suite';

const COLOURS = ['#1f6feb', '#8957e5', '#d1242f', '#2da44e', '#bf8700', '#57606a'];
const LABEL_W = 200;
const PLOT_W = 520;
const BAR_H = 11;
const FAMILY = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const FONT = `${FAMILY} font-size="11"`;
/** Headings: one font-size attribute only (a repeated attribute makes the SVG invalid XML). */
const heading = (size: number): string => `font-weight="600" ${FAMILY} font-size="${size}"`;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return n.toFixed(n < 10 ? 2 : 0);
}

export function renderChart(throughput: readonly ThroughputRow[], latency: readonly LatencyRow[], title: string, rate: number): string {
  const systems = [...new Set([...throughput.map((r) => r.system), ...latency.map((r) => r.system)])];
  const colour = (s: string): string => COLOURS[systems.indexOf(s) % COLOURS.length]!;
  const groups = new Map<string, ThroughputRow[]>();
  for (const r of throughput) {
    const key = `${r.workload}, ${r.size} B, ${r.partitions} partition${r.partitions === 1 ? '' : 's'}`;
    (groups.get(key) ?? groups.set(key, []).get(key)!).push(r);
  }
  const parts: string[] = [];
  let y = 28;
  parts.push(`<text x="10" y="18" ${heading(13)}>${esc(title)}</text>`);
  // Legend.
  let lx = 10;
  for (const s of systems) {
    parts.push(`<rect x="${lx}" y="${y}" width="10" height="10" fill="${colour(s)}"/><text x="${lx + 14}" y="${y + 9}" ${FONT}>${esc(s)}</text>`);
    lx += 24 + s.length * 6.2;
  }
  y += 26;
  parts.push(`<text x="10" y="${y}" ${heading(12)}>Throughput, records per second (higher is better)</text>`);
  y += 10;
  const maxRate = Math.max(1, ...throughput.map((r) => r.msgsPerSec));
  for (const [label, rows] of groups) {
    const top = y;
    for (const r of rows) {
      const w = Math.max(1, (r.msgsPerSec / maxRate) * PLOT_W);
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 2}" fill="${colour(r.system)}"/>`);
      parts.push(`<text x="${LABEL_W + w + 4}" y="${y + BAR_H - 3}" ${FONT}>${compact(r.msgsPerSec)}</text>`);
      y += BAR_H;
    }
    parts.push(`<text x="${LABEL_W - 8}" y="${(top + y) / 2 + 4}" text-anchor="end" ${FONT}>${esc(label)}</text>`);
    y += 8;
  }
  y += 14;
  parts.push(`<text x="10" y="${y}" ${heading(12)}>End-to-end latency at ${rate} records/s, milliseconds (lower is better; p50 solid, p99 light)</text>`);
  y += 10;
  const maxLat = Math.max(0.001, ...latency.map((r) => r.p99));
  for (const r of latency) {
    const top = y;
    for (const [which, v, opacity] of [['p50', r.p50, 1], ['p99', r.p99, 0.45]] as const) {
      const w = Math.max(1, (v / maxLat) * PLOT_W);
      parts.push(`<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 2}" fill="${colour(r.system)}" fill-opacity="${opacity}"/>`);
      parts.push(`<text x="${LABEL_W + w + 4}" y="${y + BAR_H - 3}" ${FONT}>${which} ${v.toFixed(3)}</text>`);
      y += BAR_H;
    }
    parts.push(`<text x="${LABEL_W - 8}" y="${(top + y) / 2 + 4}" text-anchor="end" ${FONT}>${esc(r.system)}</text>`);
    y += 8;
  }
  const height = y + 10;
  const width = LABEL_W + PLOT_W + 90;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n<rect width="100%" height="100%" fill="#ffffff"/>\n${parts.join('\n')}\n</svg>\n`;
}
