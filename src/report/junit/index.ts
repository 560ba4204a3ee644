/**
 * junit.xml for CI systems: one test case per threshold (message ones included), one per
 * security expectation (fault kind) and, with traffic, one per stream. A failed threshold,
 * an accepted faulty credential or a stream that lost messages it must not is a <failure>.
 */
import { escapeMarkup } from '../escape.js';
import { describeThreshold } from '../format.js';
import type { Summary } from '../../model/summary.js';
import type { Case } from './case.js';
import { streamCases } from './streams.js';

function attrs(pairs: Record<string, string | number>): string {
  return Object.entries(pairs)
    .map(([k, v]) => ` ${k}="${escapeMarkup(String(v))}"`)
    .join('');
}

function suite(name: string, cases: readonly Case[], timestamp: string, seconds: number): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const body = cases.map((c) => {
    const open = `    <testcase${attrs({ classname: c.classname, name: c.name, time: 0 })}`;
    if (c.failure === undefined) return `${open}/>`;
    const f = c.failure;
    return `${open}>\n      <failure${attrs({ type: f.type, message: f.message })}>${escapeMarkup(f.detail)}</failure>\n    </testcase>`;
  });
  const head = `  <testsuite${attrs({ name, tests: cases.length, failures, errors: 0, skipped: 0, time: seconds.toFixed(3), timestamp })}`;
  return cases.length === 0 ? `${head}/>` : `${head}>\n${body.join('\n')}\n  </testsuite>`;
}

/** The junit.xml text of a summary. */
export function renderJUnit(summary: Summary): string {
  const seconds = Math.max(0, (Date.parse(summary.run.ended) - Date.parse(summary.run.started)) / 1000) || 0;
  const timestamp = summary.run.started;

  const thresholds: Case[] = summary.thresholds.map((t) => {
    const c: Case = { classname: `mqtt-herd.thresholds.${t.metric}`, name: `${t.metric}: ${t.expression}` };
    if (!t.ok) {
      const observed = describeThreshold(t);
      c.failure = {
        type: 'threshold',
        message: t.value === null ? `no data to evaluate ${t.expression}` : `${observed}, expected ${t.expression}`,
        detail: `run ${summary.run.id} (${summary.run.scenario}) against ${summary.run.target}: ${summary.verdict_reason}`,
      };
    }
    return c;
  });

  const security: Case[] = summary.security.map((s) => {
    const c: Case = { classname: 'mqtt-herd.security', name: `${s.fault}: the broker rejects the credential` };
    const reasons = Object.entries(s.reasons)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    if (s.accepted > 0) {
      c.failure = {
        type: 'insecure',
        message: `the broker accepted ${s.accepted} of ${s.expected_rejections} ${s.fault} credentials`,
        detail: `${s.rejected} rejected${reasons === '' ? '' : ` (${reasons})`}, ${s.accepted} accepted`,
      };
    }
    return c;
  });

  const streams = streamCases(summary);
  const all = [...thresholds, ...security, ...streams];
  const failures = all.filter((c) => c.failure !== undefined).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `mqtt-herd ${summary.run.scenario}`, tests: all.length, failures, errors: 0, time: seconds.toFixed(3) })}>`,
    suite('mqtt-herd.thresholds', thresholds, timestamp, seconds),
    suite('mqtt-herd.security', security, timestamp, seconds),
    ...(streams.length === 0 ? [] : [suite('mqtt-herd.messages', streams, timestamp, seconds)]),
    '</testsuites>',
    '',
  ].join('\n');
}
