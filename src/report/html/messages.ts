/**
 * The report's Messages section (a run with traffic): one row per stream with what was
 * published, acknowledged, delivered and lost. A QoS 1/2 stream is marked ✗ when it lost a
 * delivery or left a message unacknowledged (as its junit.xml test case fails).
 */
import type { Summary } from '../../model/summary.js';
import { escapeMarkup as esc } from '../escape.js';
import { bytes, int, percent, rateNumber } from '../format.js';
import { lossRate, publishRate } from '../messages.js';
import { table, td, th, tr } from './markup.js';

export function messagesSection(s: Summary): string {
  const streams = Object.entries(s.messages ?? {});
  if (streams.length === 0) return '';
  const rows = streams
    .map(([name, m]) => {
      const acked = m.unacked !== undefined;
      const bad = acked && (m.lost > 0 || (m.unacked ?? 0) > 0);
      const markCell = !acked
        ? '<span class="muted" title="QoS 0: loss is counted, not a failure">·</span>'
        : bad
          ? '<span class="no" title="lost or unacknowledged messages">✗</span>'
          : '<span class="ok" title="every message acknowledged and delivered">✓</span>';
      const r = publishRate(s, m);
      const loss = lossRate(m);
      const lost = `${int(m.lost)}${loss === null || m.lost === 0 ? '' : `<div class="muted small">${percent(loss)}</div>`}`;
      return tr(
        [
          td(markCell, 'c'),
          td(`<code>${esc(name)}</code> <span class="muted small">QoS ${m.qos ?? (acked ? '1/2' : 0)}</span>`),
          td(int(m.published), 'n'),
          td(r === null ? '–' : rateNumber(Math.round(r * 10) / 10), 'n'),
          td(acked ? int(m.acked) : '–', 'n'),
          td(acked ? int(m.unacked ?? 0) : '–', 'n'),
          td(int(m.delivered), 'n'),
          td(lost, 'n'),
          td(int(m.duplicated), 'n'),
          td(int(m.out_of_order), 'n'),
          td(
            `${int(m.late)}${(m.held_back ?? 0) > 0 ? `<div class="muted small">${int(m.held_back!)} by the broker</div>` : ''}`,
            'n',
          ),
          td(esc(bytes(m.bytes)), 'n'),
        ],
        bad ? 'row-no' : acked ? 'row-ok' : undefined,
      );
    })
    .join('\n');
  const numbers = [
    'published',
    'msgs/s',
    'acked',
    'unacked',
    'delivered',
    'lost',
    'duplicated',
    'out of order',
    'late',
    'bytes',
  ];
  const head = [th('ok', 'c'), th('stream'), ...numbers.map((n) => th(n, 'n'))];
  const intro =
    'Per traffic stream: messages published (msgs/s over the whole run), acknowledged (QoS 1 and 2), and the deliveries ' +
    'every receiver got. Lost counts each expected delivery that never came; a late message was sent more than 100 ms after its schedule ' +
    '(by the broker: it was on time and waited for the broker’s in-flight window or socket).';
  return `<section id="messages"><h2>Messages</h2>
<p class="muted">${esc(intro)}</p>
${table('grid messages', head, rows)}</section>`;
}
