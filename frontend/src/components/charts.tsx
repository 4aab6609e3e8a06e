/** Small charts drawn in SVG (no chart library), scaled to their container's width. */
import { cx } from "./cx";

export type SeriesTone = "primary" | "danger" | "success" | "warning";

export interface Series {
  name: string;
  values: number[];
  tone: SeriesTone;
}

export interface LineChartProps {
  /** What the chart shows, for screen readers (the legend and axes are visible to everyone). */
  label: string;
  /** One label per point along the x axis, e.g. hours. */
  labels: string[];
  series: Series[];
  height?: number;
}

const WIDTH = 640;
const PAD = { top: 12, right: 12, bottom: 28, left: 40 };

/** The smallest "nice" maximum (1, 2 or 5 times a power of ten) at or above `value`. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((s) => s * power >= value) ?? 10;
  return step * power;
}

/** Lines over a shared x axis (e.g. calls and errors per hour), with a 0..max y axis. */
/** Which of `count` x-axis labels to draw: evenly spaced, the last always, none crowding it. */
export function labelIndexes(count: number, most: number): Set<number> {
  const every = Math.max(1, Math.ceil(count / most));
  const last = count - 1;
  const shown = new Set<number>();
  for (let index = 0; index < last; index += every) {
    if (last - index >= every) shown.add(index);
  }
  if (count > 0) shown.add(last);
  return shown;
}

export function LineChart({ label, labels, series, height = 220 }: LineChartProps) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const innerWidth = WIDTH - PAD.left - PAD.right;
  const innerHeight = height - PAD.top - PAD.bottom;
  const x = (index: number) => PAD.left + (labels.length <= 1 ? 0 : (index / (labels.length - 1)) * innerWidth);
  const y = (value: number) => PAD.top + innerHeight - (value / max) * innerHeight;
  const ticks = [0, max / 2, max];
  const shown = labelIndexes(labels.length, 6);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={label} className="chart-svg">
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="chart-grid" x1={PAD.left} x2={WIDTH - PAD.right} y1={y(tick)} y2={y(tick)} />
            <text className="chart-axis" x={PAD.left - 6} y={y(tick)} textAnchor="end" dominantBaseline="middle">
              {Number.isInteger(tick) ? tick : tick.toFixed(1)}
            </text>
          </g>
        ))}
        {labels.map((text, index) =>
          shown.has(index) ? (
            <text
              key={index}
              className="chart-axis"
              x={x(index)}
              y={height - 8}
              textAnchor={index === 0 ? "start" : index === labels.length - 1 ? "end" : "middle"}
            >
              {text}
            </text>
          ) : null,
        )}
        {series.map((s) => (
          <g key={s.name} className={cx("chart-series", `chart-${s.tone}`)}>
            <polyline fill="none" points={s.values.map((value, index) => `${x(index)},${y(value)}`).join(" ")} />
            {s.values.map((value, index) => (
              <circle key={index} cx={x(index)} cy={y(value)} r={value > 0 ? 3 : 0}>
                <title>{`${labels[index] ?? ""}: ${value} ${s.name}`}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption className="chart-legend">
        {series.map((s) => (
          <span key={s.name} className={cx("legend-item", `chart-${s.tone}`)}>
            <span className="legend-swatch" aria-hidden="true" />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export interface Bar {
  label: string;
  value: number;
}

export interface BarChartProps {
  label: string;
  bars: Bar[];
  /** How a value is written next to its bar (default: as is). */
  format?: (value: number) => string;
  tone?: SeriesTone;
}

/** Horizontal bars, one row per item, labelled with the item and its value. */
export function BarChart({ label, bars, format = String, tone = "primary" }: BarChartProps) {
  const rowHeight = 28;
  const labelWidth = 220;
  const valueWidth = 80;
  const height = bars.length * rowHeight + 4;
  const max = Math.max(0, ...bars.map((bar) => bar.value)) || 1;
  const barSpace = WIDTH - labelWidth - valueWidth;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label={label} className={cx("chart-svg", `chart-${tone}`)}>
        {bars.map((bar, index) => {
          const top = index * rowHeight + 2;
          const width = Math.max(2, (bar.value / max) * barSpace);
          return (
            <g key={bar.label}>
              <text className="chart-label" x={0} y={top + rowHeight / 2} dominantBaseline="middle">
                {bar.label.length > 30 ? `${bar.label.slice(0, 29)}…` : bar.label}
                <title>{bar.label}</title>
              </text>
              <rect className="chart-bar" x={labelWidth} y={top + 5} width={width} height={rowHeight - 10} rx={3} />
              <text className="chart-value" x={labelWidth + width + 6} y={top + rowHeight / 2} dominantBaseline="middle">
                {format(bar.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
