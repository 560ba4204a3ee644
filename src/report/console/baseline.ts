/** `--baseline` on the console: each metric the run was held to, baseline → now, and the change. */
import { baselineRowValue, type BaselineRow } from '../../judge/baseline.js';
import type { ThresholdInput } from '../../judge/thresholds.js';

/** Console lines: each metric, baseline → now, and the change. */
export function renderBaselineChanges(rows: BaselineRow[], current: ThresholdInput): string {
  const lines = ['  baseline     change against the earlier run'];
  for (const r of rows) {
    const now = baselineRowValue(r, current);
    const change =
      r.baseline === null || now === null || r.baseline === 0
        ? ''
        : ` (${now >= r.baseline ? '+' : ''}${(((now - r.baseline) / r.baseline) * 100).toFixed(1)}%)`;
    lines.push(`               ${r.metric} ${r.aggregation}: ${fmt(r.baseline)} → ${fmt(now)}${change}`);
  }
  return `${lines.join('\n')}\n`;
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : String(Math.round(v * 1000) / 1000);
}
