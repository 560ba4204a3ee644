/**
 * Commands end to end: a `herd run` with a commands stream — its controllers send commands
 * at the fleet rate to the devices it holds, the devices answer on the response topic, the
 * controllers time each round trip from the command's intended time. MQTT 5 with Correlation
 * Data (n, k) and Response Topic, 3.1.1 by the response topic template, several controllers
 * sharing the responses through $share/herd. A watcher of the test's own sees every command.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { clientsOf, scenarioFile, watchCommands, type CommandLog } from '../helpers/traffic-clients.js';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';
import { CONTROLLER_BASE } from '../../src/traffic/header.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-cmds-'));
const pki = join(tmp(), 'pki');

const scenario = (version: 4 | 5, controllers = 1): string =>
  scenarioFile(`name: commands
devices: { count: 4 }
mqtt: { version: ${version} }
load: { executor: arrival-rate, rate: 20/s, hold: 3s }
traffic:
  - kind: commands
    controllers: ${controllers}
    rate: 20/s
    qos: 1
    payload: 48
`);

beforeAll(async () => {
  for (const args of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
  ]) {
    const r = await herd(args);
    expect(r.code, r.stderr).toBe(0);
  }
});

async function roundTrips(port: number, version: 4 | 5, controllers = 1) {
  const [c] = await clientsOf(pki, ['watcher'], port, version);
  const seen: CommandLog = await watchCommands(c!, 1);
  const out = tmp();
  const r = await herd([
    'run',
    scenario(version, controllers),
    '--target',
    `mqtts://127.0.0.1:${port}`,
    '--pki',
    pki,
    '--servername',
    'localhost',
    '--out',
    out,
    '--quiet',
  ]);
  await c!.endAsync();
  expect([0, 97], r.stderr).toContain(r.code);
  return { s: readSummaryFile(out), seen, stderr: r.stderr };
}

function expectAllAnswered(s: ReturnType<typeof readSummaryFile>, seen: CommandLog): void {
  const m = s.messages!.commands!;
  expect(m.published).toBeGreaterThan(10);
  expect(seen.commands).toHaveLength(m.published);
  expect(m).toMatchObject({ acked: m.published, delivered: m.published, lost: 0, duplicated: 0, unacked: 0 });
  expect(s.latency.command_rtt!.count).toBe(m.published);
  // every command went to a device of the run, k = seq = correlation, each k once
  const ks = seen.commands.map((x) => x.seq).sort((a, b) => a - b);
  expect(ks).toEqual([...Array(m.published).keys()]);
  for (const x of seen.commands) {
    expect(x.topic).toMatch(/^devices\/dev-[0-3]\/commands$/);
    expect(x.correlation).toBe(x.seq);
  }
}

describe('controllers against the embedded broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({
      caPem: readFileSync(join(pki, 'ca.crt')),
      certPem: readFileSync(join(pki, 'server.crt')),
      keyPem: readFileSync(join(pki, 'server.key')),
    });
  });
  afterAll(() => broker?.close());

  // its MQTT 5 bridge does not pass PUBLISH properties on: devices answer by the template there
  it('MQTT 5: every round trip timed', async () => {
    const { s, seen } = await roundTrips(broker.port, 5);
    expectAllAnswered(s, seen);
  });

  it('MQTT 3.1.1: responses on the template topic, correlated by the header', async () => {
    const { s, seen, stderr } = await roundTrips(broker.port, 4);
    expectAllAnswered(s, seen);
    // in the last second of the holds no device may take a command: those are said, not sent
    expect(stderr).toMatch(/warning: \d+ command\(s\) were due while no device could take one/);
    expect(seen.commands.every((x) => x.responseTopic === undefined)).toBe(true);
  });

  it('two controllers share the responses ($share/herd, which the embedded broker serves too): each answered once', async () => {
    const { s, seen } = await roundTrips(broker.port, 4, 2);
    expectAllAnswered(s, seen);
  });
});

describe('controllers against Debian mosquitto', () => {
  let m: Mosquitto;
  beforeAll(async () => {
    m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
  });
  afterAll(() => m?.stop());

  it('MQTT 5: Response Topic and Correlation Data (0, k) on every command', async () => {
    const { s, seen } = await roundTrips(m.port, 5);
    expectAllAnswered(s, seen);
    for (const x of seen.commands) {
      expect(x.responseTopic).toBe(x.topic.replace(/commands$/, 'responses'));
      expect(x.correlationData!.readUInt32BE(0)).toBe(0);
      expect(x.correlationData!.readUInt32BE(4)).toBe(x.seq);
    }
  });

  it('two controllers share the responses ($share/herd): each command answered once, sent by controller k mod 2', async () => {
    const { s, seen } = await roundTrips(m.port, 5, 2);
    expectAllAnswered(s, seen);
    for (const x of seen.commands) expect(x.correlationData!.readUInt32BE(0)).toBe(x.seq % 2);
    expect(CONTROLLER_BASE).toBe(0xffffff00);
  });

  it('MQTT 3.1.1 against mosquitto', async () => {
    const { s, seen } = await roundTrips(m.port, 4);
    expectAllAnswered(s, seen);
  });
});
