/**
 * The traffic stream plug-in interface: what connected devices (and extra clients) do —
 * one module per stream kind (telemetry, commands, subscribers) behind this interface,
 * registered by one line in registry.ts, like the executors in src/load.
 */
import type { JsonSchema } from '../util/json-schema.js';
import type { Qos } from '../model/messages.js';
import type { ConfigProblem, ShardShare } from '../load/executor.js';

/** Every stream's config carries its kind and its name (the label in results). */
export interface StreamConfig {
  readonly kind: string;
  readonly name: string;
}

export type Parsed<C> = { ok: true; config: C } | { ok: false; problems: ConfigProblem[] };

/** What a run is, as far as a stream needs to know. */
export interface TrafficShape {
  devices: number;
  mqttVersion: 4 | 5;
  /** ms each connection stays up after CONNACK (Infinity: until the run ends) */
  holdMs: number;
}

export interface Stream<C extends StreamConfig = StreamConfig> {
  readonly kind: string;
  /** one line for the docs and `herd run --help` */
  readonly description: string;
  /** JSON Schema of this stream's keys in a `traffic:` entry (besides kind and name) */
  readonly schema: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  /** a `traffic:` entry (checked against the schema) → config; `name` already decided */
  fromScenario(raw: Readonly<Record<string, unknown>>, name: string): Parsed<C>;
  /** every problem of a config at once */
  validate(c: C, run: TrafficShape): ConfigProblem[];
  /** this shard's share of the stream (rates scaled, clients split) */
  shard(c: C, share: ShardShare): C;
  /** the QoS its messages are published with */
  qos(c: C): Qos;
  /** the config in a few words, for the console and the report */
  describe(c: C): string;
}

export type AnyStream = Stream<StreamConfig>;
