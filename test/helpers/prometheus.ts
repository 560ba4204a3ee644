/**
 * The real Prometheus (Debian's package) for tests: its own config and temporary storage,
 * a free loopback port, started and stopped by pid, queried over its HTTP API. Also
 * promtool, the real Pushgateway, and a small parser of the text exposition format.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
export const PROMTOOL_BIN = '/usr/bin/promtool';
export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';

export interface PromtoolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with `args`, `input` on stdin. */
export function promtool(args: string[], input?: string): PromtoolResult {
  const r = spawnSync(PROMTOOL_BIN, args, { input, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PrometheusOptions {
  /** host:port of each target of job `herd` */
  targets: string[];
  scrapeInterval?: string;
  ruleFiles?: string[];
}

/** Waits for `child` to exit, SIGKILL after `ms`. */
async function stopChild(child: ChildProcess, ms = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const t = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, ms);
  await exited;
  clearTimeout(t);
}

async function waitReady(url: string, child: ChildProcess, log: () => string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${log()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class Prometheus {
  private constructor(
    readonly url: string,
    readonly configFile: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly log: () => string,
  ) {}

  /** The config the test Prometheus runs with (scrape and evaluation every `scrapeInterval`). */
  static config(o: PrometheusOptions): string {
    const interval = o.scrapeInterval ?? '1s';
    const lines = ['global:', `  scrape_interval: ${interval}`, `  evaluation_interval: ${interval}`];
    if (o.ruleFiles?.length) lines.push('rule_files:', ...o.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`));
    lines.push(
      'scrape_configs:',
      '  - job_name: herd',
      '    static_configs:',
      `      - targets: [${o.targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    );
    return `${lines.join('\n')}\n`;
  }

  static async start(o: PrometheusOptions): Promise<Prometheus> {
    const dir = mkdtempSync(join(tmpdir(), 'herd-prometheus-'));
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, Prometheus.config(o));
    let started: Started;
    try {
      started = await startReady('prometheus', PROMETHEUS_BIN, (port) => [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ]);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    const { url, child, stderr } = started;
    const prom = new Prometheus(url, configFile, child, dir, stderr);
    // Ready is not scraping: the scrape manager applies its targets a few seconds later.
    // Wait until every target has been tried once (its `up` series exists).
    const deadline = Date.now() + 15_000;
    while ((await prom.query('up')).length < o.targets.length) {
      if (Date.now() > deadline) {
        await prom.stop();
        throw new Error(`prometheus: no scrape of its ${o.targets.length} targets after 15 s: ${stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return prom;
  }

  private async api(path: string, params: Record<string, string | string[]>): Promise<unknown> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    const r = await fetch(`${this.url}/api/v1/${path}?${q.toString()}`);
    const body = (await r.json()) as { status: string; data?: unknown; error?: string; errorType?: string };
    if (body.status !== 'success')
      throw new Error(`${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  /** An instant query (throws on a PromQL error). */
  async query(expr: string, time?: number): Promise<Sample[]> {
    const d = (await this.api('query', { query: expr, ...(time === undefined ? {} : { time: String(time) }) })) as {
      resultType: string;
      result: unknown;
    };
    if (d.resultType === 'scalar') {
      const v = d.result as [number, string];
      return [{ metric: {}, value: v }];
    }
    return d.result as Sample[];
  }

  /** A range query, times in seconds since the epoch. */
  async queryRange(expr: string, start: number, end: number, step = 1): Promise<Sample[]> {
    const d = (await this.api('query_range', {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(step),
    })) as { result: Sample[] };
    return d.result;
  }

  /** The series matching a selector between start and end (seconds). */
  async series(match: string, start: number, end: number): Promise<Record<string, string>[]> {
    return (await this.api('series', { 'match[]': match, start: String(start), end: String(end) })) as Record<
      string,
      string
    >[];
  }

  async labelValues(label: string, match: string, start: number, end: number): Promise<string[]> {
    return (await this.api(`label/${encodeURIComponent(label)}/values`, {
      'match[]': match,
      start: String(start),
      end: String(end),
    })) as string[];
  }

  /** The targets' scrape health: target URL → health ('up' | 'down' | 'unknown'). */
  async targets(): Promise<{ scrapeUrl: string; health: string; lastError: string }[]> {
    return (
      (await this.api('targets', {})) as { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }
    ).activeTargets;
  }

  get stderr(): string {
    return this.log();
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Started {
  url: string;
  child: ChildProcess;
  /** the tail of its stderr */
  stderr: () => string;
}

/** Starts a Prometheus-family daemon on a free loopback port and waits for its /-/ready. */
async function startReady(name: string, bin: string, args: (port: number) => string[]): Promise<Started> {
  const port = await freePort();
  const child = spawn(bin, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const stderr = (): string => tail;
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${url}/-/ready`, child, stderr);
  } catch (e) {
    await stopChild(child);
    throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
  }
  return { url, child, stderr };
}

/** A real Pushgateway on a free loopback port (Debian's prometheus-pushgateway). */
export class Pushgateway {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static available(): boolean {
    return existsSync(PUSHGATEWAY_BIN);
  }

  static async start(): Promise<Pushgateway> {
    const { url, child } = await startReady('pushgateway', PUSHGATEWAY_BIN, (port) => [
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    return new Pushgateway(url, child);
  }

  async metrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
  }
}

export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExpositionFamily {
  name: string;
  type: string;
  help: string;
  samples: ExpositionSample[];
}

/**
 * A running exporter's value now: the sum of `family`'s samples whose labels include
 * `labels`; 0 while it does not answer (a run still starting).
 */
export async function scrapeSum(url: string, family: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await fetch(url).then(
    (r) => r.text(),
    () => '',
  );
  const samples = parseExposition(text).get(family)?.samples ?? [];
  return samples
    .filter((s) => s.name === family && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** Parses the Prometheus text format (0.0.4) into families; throws on a line it cannot read. */
export function parseExposition(text: string): Map<string, ExpositionFamily> {
  const families = new Map<string, ExpositionFamily>();
  let current: ExpositionFamily | undefined;
  const family = (name: string): ExpositionFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      current = family(meta[2]!);
      if (meta[1] === 'TYPE') current.type = meta[3]!;
      else current.help = meta[3]!;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!m) throw new Error(`cannot parse exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g;
    let consumed = 0;
    for (let l = re.exec(body); l; l = re.exec(body)) {
      labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed += l[0].length;
    }
    if (consumed !== body.length) throw new Error(`cannot parse labels of: ${line}`);
    const name = m[1]!;
    const base =
      current && (name === current.name || /_(bucket|sum|count)$/.test(name)) && name.startsWith(current.name)
        ? current
        : family(name);
    const raw = m[3]!;
    base.samples.push({ name, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return families;
}

/** A Grafana dashboard's PromQL: panel targets and template variables' queries. */
export interface DashboardQueries {
  /** [panel title, refId, expr] for every target of every panel (rows' nested panels too) */
  targets: { panel: string; refId: string; expr: string; repeat?: string }[];
  /** `label_values(selector, label)` of every query variable */
  variables: { name: string; selector: string; label: string }[];
  /** custom variables' values (e.g. phase: tcp, tls, …) */
  custom: Record<string, string[]>;
}

interface Panel {
  title?: string;
  type?: string;
  repeat?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: Panel[];
}

/** The parts of a Grafana dashboard's JSON that dashboardQueries() reads. */
export interface DashboardJson {
  panels?: Panel[];
  templating?: { list?: { name: string; type: string; query: unknown }[] };
}

export function dashboardQueries(dash: DashboardJson): DashboardQueries {
  const targets: DashboardQueries['targets'] = [];
  const walk = (ps: Panel[] | undefined): void => {
    for (const p of ps ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string') throw new Error(`panel "${p.title}" target ${t.refId} has no expr`);
        targets.push({
          panel: p.title ?? '',
          refId: t.refId ?? '',
          expr: t.expr,
          ...(p.repeat ? { repeat: p.repeat } : {}),
        });
      }
      walk(p.panels);
    }
  };
  walk(dash.panels);
  const variables: DashboardQueries['variables'] = [];
  const custom: DashboardQueries['custom'] = {};
  for (const v of dash.templating?.list ?? []) {
    if (v.type === 'query') {
      const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
      const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(q.trim());
      if (!m) throw new Error(`variable ${v.name}: not label_values(selector, label): ${q}`);
      variables.push({ name: v.name, selector: m[1]!.trim(), label: m[2]! });
    } else if (v.type === 'custom') {
      custom[v.name] = String(v.query)
        .split(',')
        .map((s) => s.trim());
    }
  }
  return { targets, variables, custom };
}

/** Replaces $name and ${name} by `values[name]`; throws on a variable it does not know. */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = values[name];
    if (v === undefined) throw new Error(`unknown variable $${name} in ${expr}`);
    return v;
  });
}
