/**
 * The generator's cost per connection (summary.generator: kb_per_connection, memory,
 * phases): how it is derived from its parts, and how shards' parts add up — memory and CPU
 * add up, so a merge's figures are those of one generator that held every shard's
 * connections and made every shard's handshakes.
 */
import type { GeneratorMemory, GeneratorPhases, HoldPhase, RampPhase, Summary } from '../model/summary.js';
import { round } from '../util/numbers.js';

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** RSS growth per held connection: (RSS at the most held − RSS before the first connect) / held, KB (null: none held). */
export function kbPerConnection(m: GeneratorMemory): number | null {
  return m.held === 0 || m.held_bytes === null ? null : round((m.held_bytes - m.before_bytes) / m.held / 1024, 1);
}

export const perHandshake = (cpuMs: number, handshakes: number): number | null =>
  handshakes === 0 ? null : round(cpuMs / handshakes);

export const perConnectionSecond = (cpuMs: number, connectionSeconds: number): number | null =>
  connectionSeconds === 0 ? null : round(cpuMs / connectionSeconds);

/**
 * Shards' memory added up (a shard that held nothing counts its memory before as at its
 * peak): the merged kb_per_connection is the shards' weighted by their held connections.
 */
function mergeMemory(m: readonly GeneratorMemory[]): GeneratorMemory {
  const held = sum(m.map((x) => x.held));
  return {
    before_bytes: sum(m.map((x) => x.before_bytes)),
    held_bytes: held === 0 ? null : sum(m.map((x) => x.held_bytes ?? x.before_bytes)),
    held,
  };
}

function mergeRamp(list: readonly RampPhase[]): RampPhase | null {
  if (list.length === 0) return null;
  const cpu = sum(list.map((r) => r.cpu_ms));
  const handshakes = sum(list.map((r) => r.handshakes));
  return {
    ms: Math.max(...list.map((r) => r.ms)),
    cpu_ms: round(cpu),
    handshakes,
    cpu_ms_per_handshake: perHandshake(cpu, handshakes),
  };
}

function mergeHold(list: readonly HoldPhase[]): HoldPhase | null {
  if (list.length === 0) return null;
  const cpu = sum(list.map((r) => r.cpu_ms));
  const seconds = sum(list.map((r) => r.connection_seconds));
  return {
    ms: Math.max(...list.map((r) => r.ms)),
    cpu_ms: round(cpu),
    connection_seconds: round(seconds),
    cpu_ms_per_connection_second: perConnectionSecond(cpu, seconds),
  };
}

/** The merged generator's memory and phases; absent when a shard's summary predates them. */
export function mergeFootprint(
  g: readonly Summary['generator'][],
): Pick<Summary['generator'], 'kb_per_connection' | 'memory' | 'phases'> {
  const memories = g.map((x) => x.memory);
  const phases = g.map((x) => x.phases);
  const out: Pick<Summary['generator'], 'kb_per_connection' | 'memory' | 'phases'> = {};
  if (memories.every((m) => m !== undefined)) {
    out.memory = mergeMemory(memories);
    out.kb_per_connection = kbPerConnection(out.memory);
  }
  if (phases.every((p) => p !== undefined)) {
    const merged: GeneratorPhases = {
      ramp: mergeRamp(phases.flatMap((p) => (p.ramp === null ? [] : [p.ramp]))),
      hold: mergeHold(phases.flatMap((p) => (p.hold === null ? [] : [p.hold]))),
    };
    out.phases = merged;
  }
  return out;
}
