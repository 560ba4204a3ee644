/**
 * The findings and the schedule in the outputs: the console's "limited by" block (most
 * severe first), the report's "What limited this run" section (after the verdict, escaped,
 * evidence as a table), and summary.json (key order; older summaries without them still read).
 */
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../src/report/console/index.js';
import { renderHtmlReport } from '../../src/report/html/index.js';
import { parseSummary, summaryToJson } from '../../src/report/json/index.js';
import { findingsOf } from '../../src/judge/findings.js';
import type { Finding, Summary } from '../../src/model/summary.js';
import { summaryOf } from '../helpers/summaries.js';

const INFO: Finding = {
  code: 'schedule_kept',
  severity: 'info',
  message: 'The schedule was kept.',
  evidence: { a: 1 },
};
const WARN: Finding = {
  code: 'in_flight_cap',
  severity: 'warning',
  message: `${'waited for a slot '.repeat(12)}end`,
  evidence: { waited_for_in_flight: 900, cap_carries_per_second: null },
};
const ERROR: Finding = { code: 'generator_saturated', severity: 'error', message: 'Saturated.', evidence: {} };

function withFindings(findings: Finding[]): Summary {
  return { ...summaryOf({ n: 50, every: 10 }), findings };
}

describe('console: limited by', () => {
  it('a line per finding, most severe first, long ones wrapped under their text', () => {
    const text = renderSummary(withFindings([INFO, WARN, ERROR]), { ascii: true });
    const block = text.slice(text.indexOf('limited by')).trimEnd().split('\n');
    expect(block[0]).toMatch(/^limited by\s+ERROR\s+Saturated\.$/);
    expect(block[1]).toMatch(/^\s+WARNING\s+waited for a slot/);
    const indent = block[1]!.indexOf('waited');
    const wrapped = block.slice(2, -1);
    expect(wrapped.length).toBeGreaterThan(0);
    for (const line of wrapped) expect(line.slice(0, indent).trim()).toBe('');
    expect(block.at(-1)).toMatch(/^\s+INFO\s+The schedule was kept\.$/);
    expect(renderSummary(withFindings([INFO]))).toMatch(/limited by\s+· info\s+The schedule was kept\./);
  });

  it('no findings, no block', () => {
    expect(renderSummary(withFindings([]))).not.toContain('limited by');
  });
});

describe('HTML: What limited this run', () => {
  it('right after the verdict, each finding escaped, with its evidence as a table', () => {
    const evil: Finding = {
      code: 'x<y>',
      severity: 'warning',
      message: 'broker said <img src=x onerror=alert(1)> & left',
      evidence: { '<k>': '<v>', n: 12_345, none: null },
    };
    const html = renderHtmlReport(withFindings([INFO, evil]));
    const verdict = html.indexOf('<section class="verdict');
    const section = html.indexOf('<section id="findings">');
    expect(section).toBeGreaterThan(verdict);
    expect(section).toBeLessThan(html.indexOf('<section id="thresholds">'));
    const body = html.slice(section, html.indexOf('</section>', section));
    expect(body).toContain('What limited this run <span class="count">1 warning · 1 info</span>');
    expect(body).not.toContain('<img');
    expect(body).toContain('broker said &lt;img src=x onerror=alert(1)&gt; &amp; left');
    expect(body).toContain('data-code="x&lt;y&gt;"');
    expect(body).toContain('<code>&lt;k&gt;</code>');
    expect(body).toContain('>12,345<');
    expect(body).toContain('>–<');
    // the warning before the info
    expect(body.indexOf('finding-warning')).toBeLessThan(body.indexOf('finding-info'));
    expect(html).toContain('<a href="#findings">What limited it</a>');
  });

  it('a summary without findings has no such section', () => {
    const html = renderHtmlReport(withFindings([]));
    expect(html).not.toContain('id="findings"');
    expect(html).not.toContain('href="#findings"');
  });
});

describe('summary.json: schedule and findings', () => {
  it('round-trips, the schedule after the generator and in its own key order', () => {
    const s = summaryOf({ n: 200, every: 5, lag: (i) => i * 0.1 });
    s.findings = findingsOf(s);
    const text = summaryToJson(s);
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys.indexOf('schedule')).toBe(keys.indexOf('generator') + 1);
    expect(Object.keys((JSON.parse(text) as Summary).schedule!)).toEqual([
      'attempts',
      'first_intended',
      'last_intended',
      'last_started',
      'asked_per_second',
      'achieved_per_second',
      'start_lag',
      'waited_for_in_flight',
      'in_flight_cap',
    ]);
    const back = parseSummary(text, 'summary.json');
    expect(back.schedule).toEqual(s.schedule);
    expect(back.findings).toEqual(s.findings);
    expect(back.findings.map((f) => f.code)).toEqual(['schedule_kept']);
  });

  it('an older summary, without findings or schedule, still reads; a bad schedule does not', () => {
    const s = summaryOf({ n: 20, every: 5 }) as Partial<Summary>;
    delete s.findings;
    delete s.schedule;
    const old = parseSummary(JSON.stringify(s), 'old.json');
    expect(old.findings).toEqual([]);
    expect(old.schedule).toBeUndefined();
    const bad = { ...summaryOf({ n: 20, every: 5 }) };
    bad.schedule = { ...bad.schedule!, waited_for_in_flight: -1 };
    expect(() => parseSummary(JSON.stringify(bad), 'bad.json')).toThrow(/schedule\.waited_for_in_flight/);
  });
});
