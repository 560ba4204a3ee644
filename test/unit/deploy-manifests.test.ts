/**
 * deploy/kubernetes: every YAML document parses and has what Kubernetes requires, and the
 * wiring holds together. The shard container's script is run with a stand-in `herd` that
 * records its arguments, and those arguments go through herd's own flag parsing with the
 * ConfigMap's scenario: shard index from JOB_COMPLETION_INDEX, shard count, start time,
 * output directory, CA mount, metrics port.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HERD } from '../helpers/herd.js';
import { parseRunArgs, runConfigFromFlags } from '../../src/cli/run-flags.js';
import { RUN_OPTIONS } from '../../src/cli/run-options.js';
import { loadScenario } from '../../src/scenario/load.js';
import { shardConfig, shardSlice } from '../../src/run/shard.js';
import type { RunConfig } from '../../src/run/config.js';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');
const NAMESPACE = 'herd';

// The parts of the Kubernetes objects this test reads; a part that is missing fails it.
interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: { readOnlyRootFilesystem?: boolean };
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  securityContext?: { runAsUser?: number };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata?: Meta;
  spec?: unknown;
}
/** A Pod's spec is a PodSpec; a workload's is its template's. */
interface Pod extends Doc {
  spec: PodSpec;
}
interface Workload extends Doc {
  spec?: { template?: { spec?: PodSpec } };
}
interface Job extends Doc {
  metadata: Meta;
  spec: {
    completionMode?: string;
    parallelism?: number;
    completions?: number;
    template: { metadata: Meta; spec: PodSpec };
  };
}
interface ConfigMap extends Doc {
  metadata: Meta;
  data: { run: string; 'start-at': string; 'scenario.yaml': string } & Record<string, string>;
}
interface Pvc extends Doc {
  metadata: Meta;
  spec: { accessModes: string[] };
}
interface PodMonitor extends Doc {
  spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] };
}
interface Kustomization extends Doc {
  namespace: string;
  resources: string[];
  images: { name: string }[];
}

/** Every document of every YAML file, with its file name. */
function manifests(): { file: string; doc: Doc }[] {
  const out: { file: string; doc: Doc }[] = [];
  for (const file of readdirSync(DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const docs = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
    for (const d of docs) {
      expect(
        d.errors.map((e) => e.message),
        file,
      ).toEqual([]);
      const doc = d.toJS() as Doc | null;
      if (doc !== null) out.push({ file, doc });
    }
  }
  return out;
}

const all = manifests();
const find = <T extends Doc = Doc>(kind: string, name: string): T => {
  const m = all.find((x) => x.doc.kind === kind && x.doc.metadata?.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in ${DIR}`);
  return m.doc as T;
};
const shardJob = find<Job>('Job', 'herd-shards');
const mergeJob = find<Job>('Job', 'herd-merge');
const configMap = find<ConfigMap>('ConfigMap', 'herd-scenario');
const pvc = find<Pvc>('PersistentVolumeClaim', 'herd-results');
const podMonitor = find<PodMonitor>('PodMonitor', 'herd-shards');
const shardPod = shardJob.spec.template.spec;
const shardContainer = shardPod.containers[0]!;

const envOf = (c: Container, name: string): EnvVar => {
  const e = c.env?.find((x) => x.name === name);
  if (!e) throw new Error(`container ${c.name} has no env ${name}`);
  return e;
};
const mountOf = (pod: PodSpec, c: Container, volume: string): { mountPath: string; volume: Volume } => {
  const m = c.volumeMounts?.find((x) => x.name === volume);
  const v = pod.volumes?.find((x) => x.name === volume);
  if (!m || !v) throw new Error(`no volume ${volume} mounted in ${c.name}`);
  return { mountPath: m.mountPath, volume: v };
};
const script = (c: Container): string => {
  expect(c.command).toEqual(['/bin/sh', '-c']);
  return c.args![0]!;
};

const work = mkdtempSync(join(tmpdir(), 'herd-deploy-'));
const scenarioFile = join(work, 'scenario.yaml');

describe('deploy/kubernetes manifests', () => {
  it('parse, and every object has apiVersion, kind, metadata.name and the herd namespace', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const { file, doc } of all) {
      expect(typeof doc.apiVersion, file).toBe('string');
      expect(typeof doc.kind, file).toBe('string');
      if (doc.kind === 'Kustomization') continue;
      expect(doc.metadata?.name, file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      if (doc.kind !== 'Namespace') expect(doc.metadata?.namespace, `${file} ${doc.kind}`).toBe(NAMESPACE);
    }
    expect(find('Namespace', NAMESPACE).apiVersion).toBe('v1');
  });

  it('kustomization lists files that exist and retags the image every pod uses', () => {
    const k = all.find((x) => x.doc.kind === 'Kustomization')!.doc as Kustomization;
    expect(k.namespace).toBe(NAMESPACE);
    for (const r of k.resources) expect(existsSync(join(DIR, r)), r).toBe(true);
    expect(k.resources).toContain('job-shards.yaml');
    const images = new Set(
      all
        .flatMap(({ doc }) => [
          (doc as Workload).spec?.template?.spec,
          doc.kind === 'Pod' ? (doc as Pod).spec : undefined,
        ])
        .filter((p) => p !== undefined)
        .flatMap((p) => p.containers.map((c) => c.image.split(':')[0])),
    );
    expect([...images]).toEqual([k.images[0]!.name]);
  });

  it('the shard Job is Indexed, runs every shard at once, and SHARD_COUNT is its completions', () => {
    expect(shardJob.apiVersion).toBe('batch/v1');
    expect(shardJob.spec.completionMode).toBe('Indexed');
    expect(shardJob.spec.parallelism).toBe(shardJob.spec.completions);
    expect(Number(envOf(shardContainer, 'SHARD_COUNT').value)).toBe(shardJob.spec.completions);
    expect(shardPod.restartPolicy).toBe('Never'); // Indexed + podFailurePolicy need it
    expect(envOf(shardContainer, 'JOB_COMPLETION_INDEX').valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    for (const [env, key] of [
      ['START_AT', 'start-at'],
      ['RUN', 'run'],
    ] as const) {
      const ref = envOf(shardContainer, env).valueFrom!.configMapKeyRef!;
      expect(ref.name).toBe(configMap.metadata.name);
      expect(configMap.data[ref.key], key).toBeDefined();
      expect(ref.key).toBe(key);
    }
    expect(envOf(mergeJob.spec.template.spec.containers[0]!, 'RUN').valueFrom?.configMapKeyRef).toEqual({
      name: 'herd-scenario',
      key: 'run',
    });
    expect(Number.isNaN(Date.parse(configMap.data['start-at']))).toBe(false);
  });

  it("the ConfigMap's scenario passes herd validate", () => {
    writeFileSync(scenarioFile, configMap.data['scenario.yaml']);
    const r = spawnSync(process.execPath, [HERD, 'validate', scenarioFile], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok — million: 1000000 devices/);
  });

  describe('the shard container, run with a stand-in herd', () => {
    const bin = join(work, 'bin');
    const argsFile = join(work, 'args');
    const env = (index: number, code: number): NodeJS.ProcessEnv => ({
      PATH: `${bin}:${process.env.PATH}`,
      JOB_COMPLETION_INDEX: String(index),
      SHARD_COUNT: envOf(shardContainer, 'SHARD_COUNT').value,
      START_AT: '2030-06-01T12:00:00Z',
      RUN: configMap.data.run,
      ARGS_FILE: argsFile,
      FAKE_CODE: String(code),
    });
    const run = (index: number, code: number): { status: number | null; args: string[] } => {
      const r = spawnSync('/bin/sh', ['-c', script(shardContainer)], { env: env(index, code), encoding: 'utf8' });
      return { status: r.status, args: readFileSync(argsFile, 'utf8').split('\0').slice(0, -1) };
    };
    let config: RunConfig;
    let args: string[];
    const savedIndex = process.env.JOB_COMPLETION_INDEX;

    beforeAll(() => {
      spawnSync('mkdir', ['-p', bin]);
      writeFileSync(join(bin, 'herd'), '#!/bin/sh\nprintf "%s\\0" "$@" > "$ARGS_FILE"\nexit "$FAKE_CODE"\n');
      chmodSync(join(bin, 'herd'), 0o755);
      if (!existsSync(scenarioFile)) writeFileSync(scenarioFile, configMap.data['scenario.yaml']);
      args = run(7, 0).args;
      expect(args[0]).toBe('run');
      // herd's own parsing, with the env Kubernetes gives pod 7 and the ConfigMap's scenario
      process.env.JOB_COMPLETION_INDEX = '7';
      const { parsed } = parseRunArgs(args.slice(1));
      expect(parsed.positionals).toEqual([`${mountOf(shardPod, shardContainer, 'scenario').mountPath}/scenario.yaml`]);
      config = runConfigFromFlags(parsed, false, loadScenario(scenarioFile));
    });
    afterAll(() => {
      if (savedIndex === undefined) delete process.env.JOB_COMPLETION_INDEX;
      else process.env.JOB_COMPLETION_INDEX = savedIndex;
    });

    it('uses only flags herd run knows', () => {
      for (const a of args.filter((x) => x.startsWith('--'))) expect(Object.keys(RUN_OPTIONS), a).toContain(a.slice(2));
    });

    it('makes pod i shard i of SHARD_COUNT, starting at start-at, with its slice and share of the load', () => {
      expect(config.shard).toEqual({ index: 7, count: 100 });
      expect(config.startAt).toBe(Date.parse('2030-06-01T12:00:00Z'));
      expect(shardSlice(config)).toEqual({ start: 70_000, count: 10_000, total: 1_000_000 });
      const mine = shardConfig(config);
      expect(mine.devices).toBe(10_000);
      expect(mine.load).toMatchObject({ executor: 'ramping-arrival-rate', stages: [{ target: 20 }, { target: 20 }] });
    });

    it('mints from the CA Secret mounted where the scenario says', () => {
      const ca = mountOf(shardPod, shardContainer, 'ca');
      expect(config.pkiDir).toBe(ca.mountPath);
      expect(ca.volume.secret?.secretName).toBe('herd-ca');
      expect(ca.volume.secret?.items?.map((i) => i.path).sort()).toEqual(['ca.crt', 'ca.key']);
    });

    it('writes its summary on the results volume, where the merge Job reads every shard', () => {
      const results = mountOf(shardPod, shardContainer, 'results');
      expect(results.volume.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
      expect(config.outDir).toBe(`${results.mountPath}/${configMap.data.run}/shard-7`);
      const merge = mergeJob.spec.template.spec;
      const mergeContainer = merge.containers[0]!;
      const mergeResults = mountOf(merge, mergeContainer, 'results');
      expect(mergeResults.volume.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
      expect(mergeResults.mountPath).toBe(results.mountPath);
      // the merge's glob, with its shell variables as the pod has them, matches shard 7's summary.json
      const m = /herd merge "\$dir"\/(\S+) --out "\$dir\/summary\.json"/.exec(script(mergeContainer));
      const dir = /dir="([^"]+)"/.exec(script(mergeContainer))![1]!.replace('$RUN', configMap.data.run);
      const glob = new RegExp(`^${`${dir}/${m![1]!}`.replace(/[.]/g, '\\.').replace('*', '[^/]+')}$`);
      expect(`${config.outDir}/summary.json`).toMatch(glob);
      expect(pvc.spec.accessModes).toEqual(['ReadWriteMany']); // every shard mounts it at once
    });

    it('serves /metrics on the port Prometheus scrapes (annotations and PodMonitor)', () => {
      const port = shardContainer.ports?.find((p) => p.name === 'metrics')?.containerPort;
      expect(config.metricsPort).toBe(port);
      expect(config.lingerMs).toBeGreaterThan(5000); // the last scrape sees the final values
      const ann = shardJob.spec.template.metadata.annotations;
      expect(ann).toMatchObject({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': String(port),
        'prometheus.io/path': '/metrics',
      });
      expect(podMonitor.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(shardJob.spec.template.metadata.labels).toMatchObject(podMonitor.spec.selector.matchLabels);
      expect(podMonitor.spec.podMetricsEndpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    });

    it('exits 0 when the shard ran (whatever its own verdict), and fails on an error', () => {
      for (const code of [0, 97, 98, 99]) expect(run(7, code).status, String(code)).toBe(0);
      for (const code of [1, 2]) expect(run(7, code).status, String(code)).toBe(code);
    });
  });

  it('has writable /tmp and results under a read-only root, and runs as the image user', () => {
    expect(shardContainer.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(mountOf(shardPod, shardContainer, 'tmp').volume.emptyDir).toBeDefined();
    const user = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(DIR, 'Dockerfile'), 'utf8'));
    for (const { doc } of all.filter((x) => x.doc.kind === 'Job' || x.doc.kind === 'Pod')) {
      const pod = doc.kind === 'Pod' ? (doc as Pod).spec : (doc as Job).spec.template.spec;
      expect(pod.securityContext?.runAsUser, doc.metadata?.name).toBe(Number(user![1]));
    }
    const r = spawnSync('/bin/sh', ['-n', '-c', script(mergeJob.spec.template.spec.containers[0]!)]);
    expect(r.status).toBe(0);
  });
});
