/**
 * The exporter's HTTP side on a real socket: /metrics with the text format's content
 * type, 404 and 405 elsewhere, a clear usage error for a busy port, a port freed on
 * close; and the --push URL checks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { type HerdExporter, startExporter } from '../../src/metrics/exporter.js';
import { checkPushUrl, pushInstance } from '../../src/metrics/prom-push.js';
import { UsageError } from '../../src/errors.js';
import { freePort } from '../helpers/net.js';

const open: HerdExporter[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function started(port = 0): Promise<HerdExporter> {
  const e = (await startExporter(
    { metricsPort: port, push: undefined, host: '127.0.0.1' },
    { runId: 'r', scenario: 's', shard: 0 },
  ))!;
  open.push(e);
  return e;
}

describe('exporter http', () => {
  it('serves /metrics in the Prometheus text format, 404 elsewhere, 405 for other methods', async () => {
    const e = await started();
    expect(e.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const r = await fetch(e.url!);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await r.text()).toContain('herd_run_info{run_id="r",scenario="s",shard="0"} 1');
    const base = e.url!.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/metrics?x=1`)).status).toBe(200);
  });

  it('a busy port is a usage error naming --metrics-port; close() frees the port', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await expect(started(port)).rejects.toThrow(UsageError);
      await expect(started(port)).rejects.toThrow(/--metrics-port: port \d+ is already in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const e = await started(port);
    await e.close();
    const again = await started(port);
    expect(again.url).toBe(`http://127.0.0.1:${port}/metrics`);
  });

  it('starts nothing when neither --metrics-port nor --push is given', async () => {
    expect(
      await startExporter({ metricsPort: undefined, push: undefined }, { runId: 'r', scenario: 's', shard: 0 }),
    ).toBeUndefined();
  });

  it('checks --push URLs before the run starts', async () => {
    expect(checkPushUrl('http://pg:9091').href).toBe('http://pg:9091/');
    expect(checkPushUrl('https://pg.example/prefix').pathname).toBe('/prefix');
    for (const bad of ['pg:9091', 'ftp://pg', 'http://pg:9091/?a=1', 'not a url'])
      expect(() => checkPushUrl(bad), bad).toThrow(/--push/);
    await expect(
      startExporter({ metricsPort: undefined, push: 'nope' }, { runId: 'r', scenario: 's', shard: 0 }),
    ).rejects.toThrow(UsageError);
    expect(pushInstance('ramp 10k/eu', 2)).toBe('ramp_10k_eu-shard-2');
    expect(pushInstance('', 0)).toBe('run-shard-0');
  });
});
