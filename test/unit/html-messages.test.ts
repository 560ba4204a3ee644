/**
 * The report's traffic parts, rendered on the server side: the timeline's message data per
 * second, the Messages table's rows, and nothing of it when a run sent nothing.
 */
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { reportData } from '../../src/report/html/data.js';
import { summaryOf } from '../helpers/summaries.js';
import { telemetryAndCommands, trafficSummary } from '../helpers/traffic.js';

describe('HTML report with traffic', () => {
  it('gives the timeline messages per second, from the series points', () => {
    const s = trafficSummary({
      seconds: 5,
      streams: [{ name: 't', qos: 0, receivers: 2, perSecond: 30, late: (k) => k < 3 }],
    });
    const t = reportData(s).run.timeline!;
    expect(t.messages!.published.reduce((a, b) => a + b, 0)).toBe(150);
    expect(t.messages!.delivered.reduce((a, b) => a + b, 0)).toBe(300);
    expect(t.messages!.late.reduce((a, b) => a + b, 0)).toBe(3);
    expect(reportData(s).run.curves.phases.delivery).toHaveLength(reportData(s).run.curves.x.length);
    expect(reportData(s).run.curves.phases.publish_ack).toBeUndefined(); // QoS 0: no acks, no phase
  });

  it('renders the Messages section, its table of contents entry and the chart box', () => {
    const html = renderHtmlReport(telemetryAndCommands());
    expect(html).toContain('<a href="#messages">Messages</a>');
    expect(html).toContain('data-chart="timeline:messages"');
    expect(html).toContain('data-chart="percentile:command_rtt"');
    expect(html).toMatch(
      /<tr class="row-no"><td class="c"><span class="no"[^>]*>✗<\/span><\/td><td><code>telemetry<\/code>/,
    );
  });

  it('shows nothing of traffic for a run without it, or one that sent nothing', () => {
    for (const s of [summaryOf({ n: 20, every: 10 }), { ...summaryOf({ n: 20, every: 10 }), messages: {} }]) {
      const html = renderHtmlReport(s);
      expect(html).not.toContain('href="#messages"');
      expect(html).not.toContain('timeline:messages');
      expect(html).not.toContain('Message delivery');
    }
  });
});
