/**
 * The report's sections around its charts: latency by percentile (every phase, with the
 * baseline dashed) and the timeline (rate, active connections, latency and failures over
 * time). The boxes are drawn by the page's script from the data element.
 */
import { PHASES } from '../../model/names.js';
import { MESSAGE_PHASES } from '../../model/messages.js';
import type { Summary } from '../../model/summary.js';
import { escapeMarkup as esc } from '../escape.js';
import { ms } from '../format.js';
import type { ReportData } from './data.js';
import { chart, figure } from './markup.js';
import { latencyTable, PHASE_LABEL } from './sections.js';

/** End to end first (the number people ask for), then the phases in the order they happen. */
export const PHASE_ORDER = ['connect', ...PHASES.filter((p) => p !== 'connect')] as const;

export function latencySection(s: Summary, data: ReportData): string {
  // the message phases only when this run or its baseline has traffic
  const messages = MESSAGE_PHASES.filter(
    (p) => s.latency[p] !== undefined || (data.baseline?.curves.phases[p] ?? null) !== null,
  );
  const all = [...PHASE_ORDER, ...messages];
  const phases = all.filter(
    (p) => (s.latency[p]?.count ?? 0) > 0 || (data.baseline?.curves.phases[p] ?? null) !== null,
  );
  const figures = phases.map((p, i) => {
    const l = s.latency[p] ?? { count: 0, p50: 0, p99: 0, max: 0 };
    const caption =
      l.count > 0
        ? `${l.count.toLocaleString('en-US')} values · p50 ${ms(l.p50)} · p99 ${ms(l.p99)} · max ${ms(l.max)}`
        : 'nothing recorded in this run';
    const box = chart(`percentile:${p}`, i === 0 ? 280 : 220, i !== 0);
    return figure(esc(PHASE_LABEL[p]), esc(caption), box, i === 0 ? 'wide' : '');
  });
  const skipped = all.filter((p) => !phases.includes(p)).map((p) => PHASE_LABEL[p]);
  const note =
    skipped.length === 0 ? '' : `<p class="muted small">Not measured in this run: ${esc(skipped.join(', '))}.</p>`;
  const intro =
    'How long each phase took, for every percentile of the attempts: read a curve at 99% to see what 1 attempt in 100 waited at least. ' +
    'End to end counts from the moment the schedule meant the attempt to start, so a slow generator cannot hide a slow broker.';
  const dashed = data.baseline === null ? '' : ' The dashed grey curve is the baseline.';
  const traffic =
    messages.length === 0
      ? ''
      : ' Messages count from their intended send time too: publish to its acknowledgement, to its delivery, a command to its response.';
  return `<section id="latency"><h2>Latency by percentile</h2>
<p class="muted">${intro}${traffic}${dashed}</p>
<div class="charts">${figures.join('\n')}</div>
${note}
${latencyTable(s)}
</section>`;
}

export function timelineSection(data: ReportData): string {
  const t = data.run.timeline;
  if (t === null)
    return `<section id="timeline"><h2>Timeline</h2><p class="muted">This summary has no per-second series.</p></section>`;
  const coarse =
    t.resolution > 1
      ? ` Each point covers ${t.resolution} s (the series was downsampled to stay small); its p99 is the highest of the seconds merged into it.`
      : '';
  const hasFailures = t.reasons.length > 0 || t.rejected.some((v) => v > 0) || t.unexpected.some((v) => v > 0);
  const fig = (kind: string, title: string, caption: string): string =>
    figure(esc(title), esc(caption), chart(`timeline:${kind}`, 220, true));
  const figures = [
    fig('rate', 'Connect rate', 'Attempts started and connections established per second.'),
    fig('active', 'Active connections', 'Connections open at once (the most seen in each point).'),
    fig(
      'latency',
      'Connect latency over time',
      'End-to-end connect p50 and p99 of the connects completed in each point, ms.',
    ),
    hasFailures
      ? fig(
          'failures',
          'Failures by reason',
          'Failed attempts and dropped connections per second, by reason; faulty devices rejected as expected dashed.',
        )
      : `<figure><h3>Failures by reason</h3><div class="chart-empty">No failures during the run.</div></figure>`,
  ];
  if (t.messages !== null) {
    figures.push(
      fig(
        'messages',
        'Messages per second',
        'Messages published and deliveries received per second, over every stream; when there are any, ' +
          'messages sent late and deliveries counted lost (30 s after sending, or when the run ended).',
      ),
    );
  }
  const zoom = 'Drag across a chart to zoom in on a stretch of time; double-click to zoom out.';
  return `<section id="timeline"><h2>Timeline</h2><p class="muted">${zoom}${esc(coarse)}</p>
<div class="charts">${figures.join('\n')}</div></section>`;
}
