/**
 * What a connection costs, measured against Debian mosquitto on this machine: the
 * generator's memory per held connection, its CPU while connecting and while holding, and
 * mosquitto's own CPU found by its listening port (the summary names the pid this test
 * started). Asserts presence, counts and consistency, never magnitudes beyond > 0.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile, spawnHerd } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-cost-'));

describe('the generator’s and a local broker’s cost per connection', () => {
  const dir = tmp();
  const pki = join(dir, 'pki');
  let m: Mosquitto;
  let target: string;

  beforeAll(async () => {
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
    target = `mqtts://127.0.0.1:${m.port}`;
  });
  afterAll(async () => {
    await m?.stop();
  });

  const run = (out: string, ...args: string[]) =>
    herd(['run', '--target', target, '--pki', pki, '--servername', 'localhost', '--out', out, ...args], 60_000);

  it('held connections: memory per connection, CPU of the ramp and the hold, mosquitto’s pid and CPU', async () => {
    const out = tmp();
    const r = await run(out, '--devices', '150', '--rate', '300/s', '--hold', '3s');
    // 97 only if this shared machine stalled the generator: the figures are still measured
    expect([0, 97], r.stderr + m.log()).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.counts).toMatchObject({ attempted: 150, connected: 150 });
    const g = s.generator;
    expect(g.memory!.held).toBeGreaterThan(0);
    expect(g.memory!.held).toBeLessThanOrEqual(s.counts.active_peak);
    expect(g.memory!.held_bytes!).toBeGreaterThan(g.memory!.before_bytes);
    expect(g.kb_per_connection!).toBeGreaterThan(0);
    const kb = (g.memory!.held_bytes! - g.memory!.before_bytes) / g.memory!.held / 1024;
    expect(g.kb_per_connection).toBeCloseTo(kb, 1);
    const ramp = g.phases!.ramp!;
    expect(ramp.handshakes).toBe(s.counts.connected);
    expect(ramp.cpu_ms).toBeGreaterThan(0);
    expect(ramp.cpu_ms_per_handshake!).toBeCloseTo(ramp.cpu_ms / ramp.handshakes, 2);
    const hold = g.phases!.hold!;
    expect(hold.connection_seconds).toBeGreaterThan(0);
    // never more than every connection held for the whole hold
    expect(hold.connection_seconds).toBeLessThanOrEqual((s.counts.active_peak * hold.ms) / 1000 + 1);
    expect(hold.cpu_ms_per_connection_second!).toBeCloseTo(hold.cpu_ms / hold.connection_seconds, 2);
    const b = s.broker_process!;
    expect(b).toMatchObject({ pid: m.pid, command: 'mosquitto', threads: 1, embedded: false });
    expect(b.cpu_ms).toBeGreaterThan(0);
    expect(b.ramp_cpu_ms).not.toBeNull();
    expect(b.ramp_cpu_ms! + (b.hold_cpu_ms ?? 0)).toBeLessThanOrEqual(b.cpu_ms + 0.001);
    // the console and the HTML report show them
    expect(r.stdout).toContain(`memory per held connection: ${g.kb_per_connection!.toFixed(1)} KB`);
    expect(r.stdout).toContain(`CPU while connecting (ramp): `);
    expect(r.stdout).toContain(`over ${ramp.handshakes} handshakes`);
    expect(r.stdout).toContain(`broker process (mosquitto, pid ${m.pid}): `);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<dt>Memory per held connection</dt><dd>${g.kb_per_connection!.toFixed(1)} KB`);
    expect(html).toContain('<dt>CPU while holding (hold)</dt>');
    expect(html).toContain(`<dt>Broker process (mosquitto, pid ${m.pid})</dt>`);
  }, 90_000);

  it('--hold 0s holds nothing: no memory per connection, no hold; a slipped schedule names who spent the CPU', async () => {
    const out = tmp();
    // one connect at a time cannot carry 1000/s: the schedule slips
    const r = await run(out, '--devices', '60', '--rate', '1000/s', '--hold', '0s', '--in-flight', '1');
    expect([0, 97], r.stderr + m.log()).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.counts).toMatchObject({ attempted: 60, connected: 60 });
    expect(s.generator.kb_per_connection).toBeNull();
    expect(s.generator.memory).toMatchObject({ held: 0, held_bytes: null });
    expect(s.generator.phases!.hold).toBeNull();
    expect(s.generator.phases!.ramp!.handshakes).toBe(60);
    expect(s.broker_process).toMatchObject({ pid: m.pid, command: 'mosquitto', hold_cpu_ms: null });
    const slipped = s.findings.find((f) => f.code === 'schedule_slipped');
    expect(slipped, JSON.stringify(s.findings)).toBeDefined();
    expect(slipped!.evidence.short_share as number).toBeGreaterThan(0);
    expect(slipped!.evidence.broker_pid).toBe(m.pid);
    expect(typeof slipped!.evidence.generator_cores).toBe('number');
    expect(typeof slipped!.evidence.broker_cores).toBe('number');
    expect(slipped!.message).toMatch(/% short of the rate asked\)/);
    expect(slipped!.message).toContain(`mosquitto (pid ${m.pid})`);
    expect(r.stdout).toContain('memory per held connection: nothing held');
  }, 90_000);

  it('two brokers on this machine: both processes are found by port and their CPU is summed', async () => {
    const m2 = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
    try {
      const out = tmp();
      const targets = `${target},mqtts://127.0.0.1:${m2.port}`;
      // one connect at a time cannot carry 1000/s: the schedule slips and says who spent the CPU
      const r = await herd(
        ['run', '--target', targets, '--pki', pki, '--servername', 'localhost', '--out', out, '--devices', '80'].concat(
          ['--rate', '1000/s', '--hold', '0s', '--in-flight', '1'],
        ),
        60_000,
      );
      expect([0, 97], r.stderr + m.log() + m2.log()).toContain(r.code);
      const s = readSummaryFile(out);
      expect(s.counts).toMatchObject({ attempted: 80, connected: 80 });
      const b = s.broker_process!;
      expect(b, JSON.stringify(s.broker_process)).toMatchObject({ pid: m.pid, command: 'mosquitto', threads: 2 });
      expect([...b.pids!].sort()).toEqual([m.pid, m2.pid].sort());
      // the sum of the two over the run: within what /proc says both have used since they started
      const life = (pid: number): number => {
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
      };
      expect(b.cpu_ms).toBeGreaterThan(0);
      expect(b.cpu_ms).toBeLessThanOrEqual(life(m.pid) + life(m2.pid) + 0.001);
      const slipped = s.findings.find((f) => f.code === 'schedule_slipped');
      expect(slipped, JSON.stringify(s.findings)).toBeDefined();
      expect(slipped!.message).toContain(`mosquitto ×2 (pids ${b.pids!.join(', ')}, together)`);
      expect(r.stdout).toContain(`broker processes (mosquitto ×2, pids ${b.pids!.join(', ')}): `);
    } finally {
      await m2.stop();
    }
  }, 90_000);

  it('the embedded broker is a child process: its CPU is its own, never the generator’s', async () => {
    const out = tmp();
    const { proc, done } = spawnHerd(['run', '--devices', '40', '--rate', '200/s', '--hold', '0s', '--out', out]);
    const t = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    const r = await done.finally(() => clearTimeout(t));
    expect([0, 97], r.stderr).toContain(r.code);
    const b = readSummaryFile(out).broker_process!;
    expect(b).toMatchObject({ command: 'herd embedded broker', threads: 1, embedded: true });
    expect(b.pid).not.toBe(proc.pid);
    expect(b.cpu_ms).toBeGreaterThan(0);
    expect(r.stdout).toContain(`broker process (herd embedded broker, pid ${b.pid}, embedded): `);
  }, 90_000);
});
