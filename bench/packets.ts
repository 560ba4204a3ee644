/**
 * bench/packets: the driver's hand-written reader of what a device receives (feed() in
 * src/mqtt/packets.ts) next to mqtt-packet's parser, in one process, on the same bytes:
 * a CONNACK and a SUBACK per connection (each its own TLS record, a fresh reader per
 * connection), PINGRESPs on held connections (one record each), and PUBLISHes of 64 B and
 * 4 KB cut into 16 KB chunks (a full TLS record). Both readers do what the driver does with
 * a packet: CONNACK code and (MQTT 5) Server Keep Alive, SUBACK code, a PUBLISH read
 * (topic, properties, payload offsets: inbound.ts), count the rest.
 *
 *   npm run build && node dist/bench/packets.js [--reps 7] [--mqtt 4,5]
 *
 * Prints, per workload, ns per packet (median of the repeats, the two readers alternating),
 * bytes allocated per packet (heap + ArrayBuffers over a window with no GC in it, after a
 * forced GC) and GCs per 100,000 packets during the timed runs, the ratio mqtt-packet ÷
 * ours, and what a held connection would keep for an mqtt-packet parser.
 */
import { cpus } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { FEED_OK, PacketType, feed, serverKeepAlive, skipProperties } from '../src/mqtt/packets.js';
import { inbound, readPublish } from '../src/mqtt/inbound.js';

const { values } = parseArgs({ options: { reps: { type: 'string' }, mqtt: { type: 'string' } } });
const REPS = Number(values.reps ?? 7);
const VERSIONS = (values.mqtt ?? '4,5').split(',').map((v) => (v === '5' ? 5 : 4));
const RECORD = 16_384;
/** packets per allocation window */
const WINDOW = 5000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));
const allocated = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Byte streams: each unit is what one reader (one connection) gets, chunk by chunk. */
interface Workload {
  name: string;
  v: 4 | 5;
  units: Buffer[][];
  /** packets in each unit, PUBLISH included */
  packets: number[];
  /** packets in each unit that the driver's reader hands to its handler (all of them) */
  handled: number[];
}

const gen = (p: object, v: 4 | 5): Buffer => mqttPacket.generate(p as Packet, { protocolVersion: v });

function connects(v: 4 | 5, n: number): Workload {
  // what mosquitto 2 answers an MQTT 5 client: a Topic Alias Maximum in the CONNACK
  const properties = v === 5 ? { topicAliasMaximum: 10 } : undefined;
  const connack = gen({ cmd: 'connack', returnCode: 0, reasonCode: 0, sessionPresent: false, properties }, v);
  const suback = gen({ cmd: 'suback', messageId: 1, granted: [1] }, v);
  const units = Array.from({ length: n }, () => [connack, suback]);
  return { name: 'CONNACK+SUBACK', v, units, packets: units.map(() => 2), handled: units.map(() => 2) };
}

function pings(v: 4 | 5, conns: number, each: number): Workload {
  const pingresp = gen({ cmd: 'pingresp' }, v);
  const units = Array.from({ length: conns }, () => Array.from({ length: each }, () => pingresp));
  return { name: 'PINGRESP', v, units, packets: units.map(() => each), handled: units.map(() => each) };
}

/** `conns` connections each receiving `each` PUBLISHes of `size` bytes, in 16 KB chunks. */
function publishes(v: 4 | 5, size: number, conns: number, each: number): Workload {
  const publish = gen(
    { cmd: 'publish', topic: 'devices/dev-000001/commands', payload: Buffer.alloc(size, 7), qos: 0, retain: false },
    v,
  );
  const stream = Buffer.concat(Array.from({ length: each }, () => publish));
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += RECORD) chunks.push(stream.subarray(i, i + RECORD));
  const units = Array.from({ length: conns }, () => chunks);
  const label = size >= 1024 ? `${size / 1024} KB` : `${size} B`;
  return { name: `PUBLISH ${label}`, v, units, packets: units.map(() => each), handled: units.map(() => each) };
}

interface OurState {
  partial: Buffer | null;
  v5: boolean;
  seen: number;
  sink: number;
}

function onOurPacket(s: OurState, type: number, _f: number, buf: Buffer, start: number, end: number): boolean {
  s.seen++;
  if (type === PacketType.connack) {
    s.sink += buf[start + 1]!;
    if (s.v5 && end - start > 2) s.sink += serverKeepAlive(buf, start + 2, end);
  } else if (type === PacketType.suback) {
    const p = s.v5 ? skipProperties(buf, start + 2, end) : start + 2;
    s.sink += buf[p]!;
  } else if (type === PacketType.publish) {
    if (readPublish(_f, buf, start, end, s.v5) === null) s.sink += inbound.payloadEnd - inbound.payloadStart;
  }
  return true;
}

let theirSeen = 0;
let theirSink = 0;
function onTheirPacket(p: Packet): void {
  theirSeen++;
  if (p.cmd === 'connack') theirSink += (p.reasonCode ?? p.returnCode ?? 0) + (p.properties?.serverKeepAlive ?? 1);
  else if (p.cmd === 'suback') theirSink += p.granted[0] as number;
}
function onTheirError(e: Error): void {
  throw e;
}

/** A reader over units [0, to): returns the packets it saw (ours: those it handled). */
type Reader = (w: Workload, to: number) => number;

// The driver keeps the reader state on the Connection it allocates anyway: reused here.
const state: OurState = { partial: null, v5: false, seen: 0, sink: 0 };

const ours: Reader = (w, to) => {
  let seen = 0;
  const s = state;
  for (let u = 0; u < to; u++) {
    s.partial = null;
    s.v5 = w.v === 5;
    s.seen = 0;
    for (const chunk of w.units[u]!) if (feed(s, chunk, onOurPacket) !== FEED_OK) throw new Error('malformed');
    if (s.partial !== null) throw new Error('stream not consumed');
    seen += s.seen;
  }
  return seen;
};

const theirs: Reader = (w, to) => {
  const before = theirSeen;
  for (let u = 0; u < to; u++) {
    const parser = mqttPacket.parser({ protocolVersion: w.v });
    parser.on('packet', onTheirPacket);
    parser.on('error', onTheirError);
    for (const chunk of w.units[u]!) parser.parse(chunk);
  }
  return theirSeen - before;
};

const sum = (xs: number[], to = xs.length): number => xs.slice(0, to).reduce((a, b) => a + b, 0);

function check(w: Workload, reader: Reader, seen: number, to: number): void {
  const want = sum(reader === ours ? w.handled : w.packets, to);
  if (seen !== want) throw new Error(`${w.name}: saw ${seen} packets, expected ${want}`);
}

/**
 * Bytes per packet over a window of about WINDOW packets that ran without a GC, right
 * after a forced one (median of five; the window halves while a GC gets in).
 */
async function bytesPerPacket(w: Workload, reader: Reader): Promise<number> {
  const out: number[] = [];
  let to = Math.min(w.units.length, Math.ceil((WINDOW * w.units.length) / sum(w.packets)));
  while (out.length < 5 && to > 0) {
    gc();
    await settle();
    const g0 = gcs;
    const m0 = allocated();
    const seen = reader(w, to);
    const m1 = allocated();
    await settle();
    check(w, reader, seen, to);
    if (gcs === g0) out.push((m1 - m0) / sum(w.packets, to));
    else to = Math.floor(to / 2);
  }
  return out.length > 0 ? median(out) : NaN;
}

interface Figures {
  ns: number;
  bytes: number;
  gcsPer100k: number;
}

const readers = [ours, theirs];

async function measure(w: Workload): Promise<[Figures, Figures]> {
  const ns: number[][] = [[], []];
  const gcCount = [0, 0];
  const packets = sum(w.packets);
  for (let rep = 0; rep < REPS; rep++) {
    for (const k of rep % 2 === 0 ? [0, 1] : [1, 0]) {
      await settle();
      const g0 = gcs;
      const t0 = process.hrtime.bigint();
      const seen = readers[k]!(w, w.units.length);
      ns[k]!.push(Number(process.hrtime.bigint() - t0) / packets);
      await settle();
      gcCount[k]! += gcs - g0;
      check(w, readers[k]!, seen, w.units.length);
    }
  }
  const figures = async (k: number): Promise<Figures> => ({
    ns: median(ns[k]!),
    bytes: await bytesPerPacket(w, readers[k]!),
    gcsPer100k: (gcCount[k]! / (packets * REPS)) * 100_000,
  });
  return [await figures(0), await figures(1)];
}

/**
 * Memory a held connection keeps for reading: mqtt-packet needs a parser per connection
 * (here after its CONNACK and SUBACK); the driver's reader is two fields on the Connection.
 */
async function retainedPerParser(w: Workload, n: number): Promise<number> {
  gc();
  await settle();
  const m0 = allocated();
  const kept = Array.from({ length: n }, () => {
    const parser = mqttPacket.parser({ protocolVersion: w.v });
    parser.on('packet', onTheirPacket);
    parser.on('error', onTheirError);
    for (const chunk of w.units[0]!) parser.parse(chunk);
    return parser;
  });
  gc();
  await settle();
  return (allocated() - m0) / kept.length;
}

const col = (s: string | number, n: number): string => String(s).padStart(n);
const fix = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
const ratio = (a: number, b: number): string => `×${(a / b).toFixed(1)}`;
const workloads = (v: 4 | 5): Workload[] => [
  connects(v, 20_000),
  pings(v, 100, 1000),
  publishes(v, 64, 100, 1000),
  publishes(v, 4096, 40, 250),
];

async function main(): Promise<void> {
  console.log(`bench/packets: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
  console.log(`${REPS} timed repeats per reader, alternating; medians. Ratio = mqtt-packet ÷ ours.`);
  const all = VERSIONS.map(workloads);
  // Warm-up over every stream first: what mqtt-packet's parser allocates per packet depends
  // on what it parsed before (its JIT state), and a device receives all of these.
  for (const w of all.flat()) for (const r of readers) check(w, r, r(w, w.units.length), w.units.length);
  const head = ['workload', 'packets', 'ns ours', 'ns m-p', 'ratio', 'B ours', 'B m-p', 'GC/100k ours', 'm-p'];
  const widths = [16, 9, 8, 8, 7, 7, 7, 13, 6];
  for (const ws of all) {
    console.log(`\nMQTT ${ws[0]!.v === 5 ? '5' : '3.1.1'}, per packet`);
    console.log(head.map((h, i) => (i === 0 ? h.padEnd(widths[0]!) : col(h, widths[i]!))).join(' '));
    for (const w of ws) {
      const [a, b] = await measure(w);
      const cells = [sum(w.packets), fix(a.ns), fix(b.ns), ratio(b.ns, a.ns), fix(a.bytes, 1), fix(b.bytes)];
      cells.push(fix(a.gcsPer100k, 1), fix(b.gcsPer100k, 1));
      console.log([w.name.padEnd(widths[0]!), ...cells.map((c, i) => col(c, widths[i + 1]!))].join(' '));
    }
    const parserBytes = await retainedPerParser(ws[0]!, 10_000);
    console.log(`kept per held connection by mqtt-packet's parser: ${fix(parserBytes)} B (ours: 2 fields)`);
  }
  // the handlers' results, so that no engine can drop their work
  console.log(`\n(checksums ${state.sink} ${theirSink})`);
}

await main();
