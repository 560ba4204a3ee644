/**
 * aedes speaks MQTT 3.1.1 only. The embedded broker accepts MQTT 5 clients by putting
 * this bridge between the TLS socket and aedes: client packets are decoded as MQTT 5 and
 * re-encoded as 3.1.1 for aedes; aedes' packets are decoded as 3.1.1 and re-encoded as
 * MQTT 5 for the client (CONNACK return codes become MQTT 5 reason codes: 5 → 0x87 not
 * authorized, …). Enough for connect, subscribe, publish, ping and disconnect; MQTT 5-only
 * features (topic aliases, AUTH) close the connection. 3.1.1 clients never pass here.
 */
import { Duplex } from 'node:stream';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** 3.1.1 CONNACK return code → MQTT 5 CONNACK reason code. */
const CONNACK_V5: Readonly<Record<number, number>> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };

/**
 * The protocol level of the CONNECT at the start of `buf`: 3, 4 or 5; 0 when `buf` does
 * not start with a CONNECT; -1 when more bytes are needed to tell.
 */
export function sniffProtocolLevel(buf: Buffer): number {
  if (buf.length === 0) return -1;
  if (buf[0] !== 0x10) return 0;
  let i = 1;
  for (let k = 0; ; k++) {
    if (i >= buf.length) return -1;
    if ((buf[i++]! & 0x80) === 0) break;
    if (k === 3) return 0;
  }
  if (i + 2 > buf.length) return -1;
  const nameLen = buf.readUInt16BE(i);
  if (nameLen !== 4 && nameLen !== 6) return 0;
  const at = i + 2 + nameLen;
  if (at >= buf.length) return -1;
  const level = buf[at]!;
  return level === 3 || level === 4 || level === 5 ? level : 0;
}

type Any = Record<string, unknown> & { cmd: string };

function toV4(p: Any): Any | null {
  switch (p.cmd) {
    case 'connect': {
      const will = p.will as Any | undefined;
      return {
        ...p,
        protocolVersion: 4,
        protocolId: 'MQTT',
        properties: undefined,
        will: will ? { ...will, properties: undefined } : undefined,
      };
    }
    case 'subscribe':
      return {
        cmd: 'subscribe',
        messageId: p.messageId,
        subscriptions: (p.subscriptions as { topic: string; qos: number }[]).map((s) => ({
          topic: s.topic,
          qos: s.qos,
        })),
      };
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.unsubscriptions };
    case 'publish':
      if (typeof p.topic !== 'string' || p.topic.length === 0) return null; // topic alias: unsupported
      return {
        cmd: 'publish',
        topic: p.topic,
        payload: p.payload,
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        messageId: p.messageId,
      };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { cmd: p.cmd, messageId: p.messageId };
    case 'pingreq':
    case 'disconnect':
      return { cmd: p.cmd };
    default:
      return null; // auth
  }
}

export class V5Bridge extends Duplex {
  private readonly fromClient = mqttPacket.parser({ protocolVersion: 5 });
  private readonly fromBroker = mqttPacket.parser({ protocolVersion: 4 });
  /** UNSUBACK in MQTT 5 carries one reason code per topic; 3.1.1's carries none */
  private readonly unsubscribing = new Map<number, number>();

  constructor(readonly socket: Duplex) {
    super({ allowHalfOpen: false });
    this.fromClient.on('packet', (p: Packet) => this.inbound(p as unknown as Any));
    this.fromClient.on('error', (e: Error) => this.destroy(e));
    this.fromBroker.on('packet', (p: Packet) => this.outbound(p as unknown as Any));
    this.fromBroker.on('error', (e: Error) => this.destroy(e));
    socket.on('data', (d: Buffer) => this.fromClient.parse(d));
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (e: Error) => this.destroy(e));
  }

  private inbound(p: Any): void {
    if (p.cmd === 'unsubscribe') this.unsubscribing.set(p.messageId as number, (p.unsubscriptions as unknown[]).length);
    const v4 = toV4(p);
    if (v4 === null) {
      this.destroy(new Error(`MQTT 5 ${p.cmd} is not supported by the embedded broker`));
      return;
    }
    this.push(mqttPacket.generate(v4 as unknown as Packet, { protocolVersion: 4 }));
  }

  private outbound(p: Any): void {
    let v5: Any = p;
    if (p.cmd === 'connack') {
      v5 = { cmd: 'connack', sessionPresent: p.sessionPresent, reasonCode: CONNACK_V5[p.returnCode as number] ?? 0x80 };
    } else if (p.cmd === 'unsuback') {
      const n = this.unsubscribing.get(p.messageId as number) ?? 1;
      this.unsubscribing.delete(p.messageId as number);
      v5 = { cmd: 'unsuback', messageId: p.messageId, granted: new Array<number>(n).fill(0) };
    }
    this.socket.write(mqttPacket.generate(v5 as unknown as Packet, { protocolVersion: 5 }));
  }

  override _read(): void {
    /* pushed as the client's packets arrive */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.fromBroker.parse(chunk);
    if (this.socket.writableNeedDrain) this.socket.once('drain', () => cb());
    else cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    // let a refusing CONNACK reach the client before the connection goes
    if (!this.socket.destroyed) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    }
    cb(err);
  }
}
