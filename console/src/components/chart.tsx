/**
 * A chart for people who would rather look than read, drawn by Chart.js (only the parts used here are
 * registered, and this module loads with the analytics screen alone), with its numbers as a table beside it
 * for screen readers and anyone who would rather read. Suppressed cells are never drawn as zero: the bar is
 * missing, its label says "< 5", and the table says so too.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration,
} from 'chart.js';
import { useEffect, useId, useRef } from 'react';
import { formatNumber } from '../format';
import { useI18n } from '../i18n';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
Chart.defaults.color = '#1b2430';

/** A number; `suppressed` when the API withheld a small count; null when there is nothing to measure. */
export type Cell = number | 'suppressed' | null;

export interface Series {
  readonly label: string;
  readonly values: readonly Cell[];
  /** A line over bars (e.g. a rate). */
  readonly line?: boolean;
  /** A share from 0 to 1, on its own axis and shown as a percentage. */
  readonly percent?: boolean;
}

/** Colours with at least 3:1 contrast on white (WCAG 1.4.11), told apart in the legend and the table too. */
const COLOURS = ['#0f5c4d', '#1d4ed8', '#b45309', '#a61b1b', '#6d28d9'];

interface ChartFigureProps {
  readonly title: string;
  /** What the first column of the table holds (month, kind of institution…). */
  readonly rowHeader: string;
  readonly labels: readonly string[];
  readonly series: readonly Series[];
  readonly suppressedBelow: number;
  /** Bars across: long labels stay readable on a phone. */
  readonly horizontal?: boolean;
  /** How a value reads (default: a plain number). */
  readonly format?: (value: number) => string;
}

/** Characters of a label's line beside horizontal bars that a 360 px phone still shows whole. */
const LABEL_LINE = 18;

/** A label beside horizontal bars in lines a phone shows whole (Chart.js cuts a longer one off): broken after each arrow, then between words. */
function labelLines(label: string): string[] {
  const parts = label.split(' → ').map((part, index, all) => (index < all.length - 1 ? `${part} →` : part));
  return parts.flatMap((part) => {
    const lines: string[] = [];
    let line = '';
    for (const word of part.split(' ')) {
      if (line && line.length + 1 + word.length > LABEL_LINE) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    return [...lines, line];
  });
}

export function ChartFigure({ title, rowHeader, labels, series, suppressedBelow, horizontal = false, format }: ChartFigureProps) {
  const { t, language } = useI18n();
  const canvas = useRef<HTMLCanvasElement>(null);
  const captionId = useId();
  const plain = format ?? ((value: number) => formatNumber(value, language));
  const show = (value: number, percent?: boolean) => (percent ? formatNumber(value, language, { style: 'percent', maximumFractionDigits: 0 }) : plain(value));
  const withheld = labels.map((_, row) => series.some((one) => one.values[row] === 'suppressed'));
  // A row with a withheld number is starred; the note under the chart and the table say which.
  const chartLabels = labels.map((label, row) => `${label}${withheld[row] ? ' *' : ''}`);
  const drawnLabels = chartLabels.map((label) => (horizontal ? labelLines(label) : label));
  const hasPercent = series.some((one) => one.percent);
  const empty = labels.length === 0;
  // Redrawn when what it shows changes.
  const drawn = JSON.stringify([chartLabels, series, horizontal, language]);

  useEffect(() => {
    if (!canvas.current || empty) return;
    const reduceMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    const valueAxis = horizontal ? 'x' : 'y';
    const config: ChartConfiguration<'bar' | 'line', (number | null)[], string> = {
      type: 'bar',
      data: {
        labels: drawnLabels as string[],
        datasets: series.map((one, index) => ({
          type: one.line ? 'line' as const : 'bar' as const,
          label: one.label,
          data: one.values.map((value) => (typeof value === 'number' ? value : null)),
          backgroundColor: COLOURS[index % COLOURS.length],
          borderColor: COLOURS[index % COLOURS.length],
          ...(one.percent ? { [`${valueAxis}AxisID`]: 'share' } : {}),
          ...(one.line ? { borderWidth: 2, pointRadius: 4, spanGaps: false } : {}),
        })),
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        locale: language === 'id' ? 'id-ID' : 'en-GB',
        animation: reduceMotion ? false : { duration: 300 },
        plugins: {
          legend: { display: series.length > 1, position: 'bottom' },
          tooltip: {
            callbacks: {
              label: (item) => {
                const one = series[item.datasetIndex];
                return `${item.dataset.label}: ${typeof item.raw === 'number' ? show(item.raw, one?.percent) : '–'}`;
              },
            },
          },
        },
        scales: {
          [valueAxis]: { beginAtZero: true, ticks: { precision: 0 } },
          ...(hasPercent ? {
            share: {
              axis: valueAxis, position: horizontal ? 'top' : 'right', min: 0, max: 1, grid: { drawOnChartArea: false },
              ticks: { callback: (value: string | number) => show(Number(value), true) },
            },
          } : {}),
        },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
    // `drawn` stands for everything the chart shows.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drawn, empty]);

  const height = horizontal ? Math.max(180, labels.length * (series.filter((one) => !one.line).length * 16 + 18) + 80) : 280;
  return (
    <figure className="chart" aria-labelledby={captionId}>
      <figcaption id={captionId}>{title}</figcaption>
      {empty ? <p className="muted">{t('analytics.noData')}</p> : (
        <>
          <div className="chart-canvas" style={{ height }}>
            <canvas ref={canvas} role="img" aria-label={`${title}. ${t('analytics.seeTable')}`} />
          </div>
          {withheld.some(Boolean) ? <p className="muted small">{t('analytics.suppressedShort', { n: suppressedBelow })}</p> : null}
          <details>
            <summary>{t('analytics.table')}</summary>
            <div className="table-scroll">
              <table className="table">
                <caption className="sr-only">{title}</caption>
                <thead>
                  <tr>
                    <th scope="col">{rowHeader}</th>
                    {series.map((one) => <th key={one.label} scope="col" className="number">{one.label}</th>)}
                  </tr>
                </thead>
                <tbody>
                  {labels.map((label, row) => (
                    <tr key={`${label}-${row}`}>
                      <th scope="row">{label}</th>
                      {series.map((one) => {
                        const value = one.values[row] ?? null;
                        return (
                          <td key={one.label} className="number">
                            {value === 'suppressed' ? <Suppressed n={suppressedBelow} rate={one.percent} /> : value === null ? '–' : show(value, one.percent)}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </figure>
  );
}

/** "< 5" (a rate: "< 5 ended"), and for screen readers what it means. */
export function Suppressed({ n, rate = false }: { n: number; rate?: boolean | undefined }) {
  const { t } = useI18n();
  const long = t(rate ? 'analytics.suppressedRateLong' : 'analytics.suppressedLong', { n });
  return (
    <span className="suppressed" title={long}>
      <span aria-hidden="true">{t(rate ? 'analytics.suppressedRate' : 'analytics.suppressed', { n })}</span>
      <span className="sr-only">{long}</span>
    </span>
  );
}
