/**
 * `herd run --push URL` against a real Pushgateway (Debian's prometheus-pushgateway):
 * the final values land in the group job="mqtt-herd", instance="<scenario>-shard-<i>" and
 * equal summary.json; the gateway's own exposition still passes promtool. A gateway that
 * is down is a warning that leaves the verdict alone; a malformed URL is a usage error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/net.js';
import { herd, readSummaryAt } from '../helpers/herd.js';
import { parseExposition, promtool, Pushgateway } from '../helpers/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-push-'));
const small = ['run', '--devices', '60', '--rate', '300/s', '--hold', '0s', '--workers', '1', '-q'];
let gw: Pushgateway | undefined;

// Debian's prometheus-pushgateway is installed by scripts/ensure-system-deps.sh: missing, this fails.
describe('herd run --push to a real Pushgateway', () => {
  beforeAll(async () => {
    if (!Pushgateway.available())
      throw new Error('prometheus-pushgateway is not installed (scripts/ensure-system-deps.sh installs it)');
    gw = await Pushgateway.start();
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes the final values into the scenario and shard group', async () => {
    const r = await herd([...small, '--push', gw!.url, '--out', join(dir, 'a')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const s = readSummaryAt(join(dir, 'a', 'summary.json'));
    const text = await gw!.metrics();
    const lint = promtool(['check', 'metrics'], text);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    const fams = parseExposition(text);
    const one = (name: string): number[] =>
      fams
        .get(name)!
        .samples.filter((x) => x.name === name && x.labels.job === 'mqtt-herd' && x.labels.instance === 'cli-shard-0')
        .map((x) => x.value);
    expect(one('herd_connections_established_total')).toEqual([s.counts.connected]);
    expect(one('herd_connect_attempts_total')).toEqual([60]);
    expect(s.counts.connected).toBe(60);
    expect(one('herd_certs_minted_total')).toEqual([60]);
    const count = fams
      .get('herd_connect_duration_seconds')!
      .samples.filter((x) => x.name === 'herd_connect_duration_seconds_count' && x.labels.job === 'mqtt-herd');
    expect(count.map((x) => x.value)).toEqual([s.latency.connect.count]);
    const info = fams.get('herd_run_info')!.samples.filter((x) => x.labels.job === 'mqtt-herd');
    expect(info.map((x) => [x.labels.run_id, x.labels.scenario, x.labels.shard, x.labels.instance])).toEqual([
      [s.run.id, 'cli', '0', 'cli-shard-0'],
    ]);

    // a second run of the same shard replaces the group (no pile of stale runs)
    const again = await herd([...small, '--push', gw!.url, '--out', join(dir, 'b')]);
    expect(again.code, again.stderr).toBe(0);
    const s2 = readSummaryAt(join(dir, 'b', 'summary.json'));
    const info2 = parseExposition(await gw!.metrics())
      .get('herd_run_info')!
      .samples.filter((x) => x.labels.job === 'mqtt-herd');
    expect(info2.map((x) => x.labels.run_id)).toEqual([s2.run.id]);
  });

  it('a Pushgateway that is down is a warning; the exit code stays the verdict', async () => {
    const closed = await freePort();
    const r = await herd([...small, '--push', `http://127.0.0.1:${closed}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/herd: warning: could not push the metrics to http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('a malformed --push URL is a usage error before anything runs', async () => {
    const r = await herd([...small, '--push', 'pushgateway:9091']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--push: .*only http and https/);
    expect(r.stderr).not.toMatch(/minting/);
  });
});
