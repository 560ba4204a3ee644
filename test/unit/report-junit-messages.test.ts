/**
 * junit.xml with traffic: message thresholds are test cases like the connection ones, and
 * each stream is one, failed when a QoS 1/2 stream lost or left unacknowledged a message or
 * a message ratio threshold breaks on its own counts. Parsed by a real XML parser.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../src/report/junit/index.js';
import { summaryOf } from '../helpers/summaries.js';
import { telemetryAndCommands, trafficSummary } from '../helpers/traffic.js';

interface ParsedCase {
  suite: string;
  classname: string;
  name: string;
  failure: { type: string; message: string; detail: string } | null;
}

/** The test cases of a junit.xml, read by Python's XML parser (so the document must be well-formed). */
function cases(xml: string): { suites: Record<string, { tests: number; failures: number }>; cases: ParsedCase[] } {
  const py = spawnSync(
    'python3',
    [
      '-c',
      `import sys, json, xml.dom.minidom as m
d = m.parseString(sys.stdin.buffer.read())
out = {"suites": {}, "cases": []}
for s in d.getElementsByTagName("testsuite"):
    out["suites"][s.getAttribute("name")] = {"tests": int(s.getAttribute("tests")), "failures": int(s.getAttribute("failures"))}
    for c in s.getElementsByTagName("testcase"):
        f = c.getElementsByTagName("failure")
        out["cases"].append({"suite": s.getAttribute("name"), "classname": c.getAttribute("classname"), "name": c.getAttribute("name"),
          "failure": {"type": f[0].getAttribute("type"), "message": f[0].getAttribute("message"), "detail": f[0].firstChild.data} if f else None})
print(json.dumps(out))`,
    ],
    { input: xml, encoding: 'utf8' },
  );
  if (py.status !== 0) throw new Error(`not well-formed: ${py.stderr}`);
  return JSON.parse(py.stdout) as ReturnType<typeof cases>;
}

const THRESHOLDS = {
  delivery_duration: ['p(99) < 200ms'],
  command_rtt: ['p(99) < 1ms'],
  message_loss: ['rate < 0.02'],
  late_messages: ['rate < 0.01'],
};

describe('junit.xml with traffic', () => {
  it('has a test case per message threshold, failed as a connection threshold is', () => {
    const j = cases(renderJUnit(telemetryAndCommands({ thresholds: THRESHOLDS })));
    const t = j.cases.filter((c) => c.suite === 'mqtt-herd.thresholds');
    expect(t.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'delivery_duration: p(99) < 200ms',
        'command_rtt: p(99) < 1ms',
        'message_loss: rate < 0.02',
        'late_messages: rate < 0.01',
      ]),
    );
    const rtt = t.find((c) => c.classname === 'mqtt-herd.thresholds.command_rtt')!;
    expect(rtt.failure?.type).toBe('threshold');
    expect(rtt.failure?.message).toMatch(/^p\(99\)=\d+(\.\d+)?ms, expected p\(99\) < 1ms$/);
    expect(t.find((c) => c.classname === 'mqtt-herd.thresholds.delivery_duration')!.failure).toBeNull();
    // over both streams: 5 lost of 600 expected is under 2%
    expect(t.find((c) => c.classname === 'mqtt-herd.thresholds.message_loss')!.failure).toBeNull();
  });

  it('has a test case per stream: a QoS 1 stream that lost or left messages unacked fails, naming how many', () => {
    const j = cases(renderJUnit(telemetryAndCommands({ thresholds: THRESHOLDS })));
    const streams = j.cases.filter((c) => c.suite === 'mqtt-herd.messages');
    expect(streams.map((c) => c.classname)).toEqual(['mqtt-herd.messages.telemetry', 'mqtt-herd.messages.commands']);
    expect(j.suites['mqtt-herd.messages']).toEqual({ tests: 2, failures: 1 });
    const [telemetry, commands] = streams;
    expect(telemetry!.failure?.type).toBe('messages');
    expect(telemetry!.failure?.message).toBe('5 of 500 expected deliveries lost; 1 of 500 messages never acknowledged');
    expect(telemetry!.failure?.detail).toContain(
      '500 published (499 acked, 1 unacked), 496 delivered, 5 lost, 1 duplicated',
    );
    expect(commands!.failure).toBeNull();
  });

  it('fails a stream on a message ratio threshold broken by its own counts, and not a QoS 0 stream for loss alone', () => {
    const s = trafficSummary({
      seconds: 4,
      thresholds: { message_loss: ['rate < 0.07'] },
      streams: [
        // QoS 0, one in ten lost: loss is counted, and breaks the threshold on this stream
        { name: 'lossy', qos: 0, receivers: 1, perSecond: 10, lose: (k) => k % 10 === 0 },
        // QoS 0, one in forty lost: within the threshold, not failed
        { name: 'fine', qos: 0, receivers: 1, perSecond: 10, lose: (k) => k === 0 },
        // nobody receives it: no loss to judge
        { name: 'unheard', qos: 0, receivers: 0, perSecond: 10 },
      ],
    });
    const j = cases(renderJUnit(s));
    const by = Object.fromEntries(j.cases.filter((c) => c.suite === 'mqtt-herd.messages').map((c) => [c.classname, c]));
    expect(by['mqtt-herd.messages.lossy']!.failure).toMatchObject({ type: 'threshold' });
    expect(by['mqtt-herd.messages.lossy']!.failure!.message).toBe(
      'message_loss rate < 0.07 broken on this stream: rate=10.0%',
    );
    expect(by['mqtt-herd.messages.fine']!.failure).toBeNull();
    expect(by['mqtt-herd.messages.unheard']!.failure).toBeNull();
    expect(by['mqtt-herd.messages.fine']!.name).toBe('fine: QoS 0, loss counted');
    // overall 5 of the 80 expected (6.25%): the threshold's own case holds
    expect(j.cases.find((c) => c.classname === 'mqtt-herd.thresholds.message_loss')!.failure).toBeNull();
  });

  it('has no messages suite for a run without traffic', () => {
    const xml = renderJUnit(summaryOf({ n: 20, every: 10 }));
    expect(xml).not.toContain('mqtt-herd.messages');
    expect(Object.keys(cases(xml).suites)).toEqual(['mqtt-herd.thresholds', 'mqtt-herd.security']);
    // traffic configured but nothing sent or measured: no stream to test either
    const quiet = renderJUnit({ ...summaryOf({ n: 20, every: 10 }), messages: {} });
    expect(quiet).not.toContain('mqtt-herd.messages');
  });
});
