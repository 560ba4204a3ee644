/**
 * Messages between the coordinator and the client worker: the thread that runs a run's
 * extra clients (traffic subscribers and controllers, MQTT.js) beside the devices.
 */
import type { Qos } from '../../model/messages.js';
import type { MessageDelta } from '../../metrics/messages.js';
import type { TargetSpec, TimedDevices } from '../protocol.js';

interface ClientBase {
  /** client id and certificate CN */
  id: string;
  certPem: string;
  keyPem: string;
  /** the stream it belongs to (index in the run's traffic: the header's stream) */
  stream: number;
}

export interface SubscriberSpec extends ClientBase {
  role: 'subscriber';
  filter: string;
  qos: Qos;
}

export interface ControllerSpec extends ClientBase {
  role: 'controller';
  /** this controller's number among its stream's controllers, and how many there are */
  n: number;
  of: number;
  /** commands per second over the fleet, shared by the stream's controllers */
  rate: number;
  commandTopic: string;
  responseTopic: string;
  qos: Qos;
  payload: number;
}

export type ClientSpec = SubscriberSpec | ControllerSpec;

export interface ClientsInit {
  clients: ClientSpec[];
  targets: TargetSpec[];
  serverCaPem: string;
  servername: string | undefined;
  minVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  maxVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  mqttVersion: 4 | 5;
  keepaliveS: number;
  /** from the start of the TCP connect to the CONNACK */
  connectTimeoutMs: number;
  /** from the SUBSCRIBE to its SUBACK */
  subscribeTimeoutMs: number;
  reportMs: number;
  /** stream names in run order (a topic's {stream}) */
  streams: string[];
  /** per stream: how many subscribers should receive each of its messages (registry receiversOf) */
  receivers: number[];
  /** the device store: command topics hold the device's id */
  storePath: string;
  /** store index of the shard's device 0 (devices are reported by local index) */
  deviceStart: number;
  shard: number;
  /** ms a device is held after CONNACK (Infinity: until the run ends) */
  holdMs: number;
  /** devices keep their session: a dropped device stays a command target (its commands are queued) */
  persistent: boolean;
}

export type ToClients =
  | { type: 'init'; init: ClientsInit }
  /** devices (local index) that connected, with when, and that dropped */
  | { type: 'devices'; connected: TimedDevices; dropped: Int32Array }
  /** controllers: stop sending, wait for the outstanding responses, report */
  | { type: 'stop-controllers' }
  /** subscribers: wait for what the devices published (per stream), report */
  | { type: 'drain'; published: number[] }
  /** disconnect everything, last report */
  | { type: 'close' };

export type FromClients =
  | { type: 'ready'; clients: number; prepMs: number }
  | { type: 'report'; delta: MessageDelta; at: number }
  /** outstanding: commands still unanswered; skipped: commands due while no device could take one */
  | { type: 'controllers-stopped'; outstanding: number; skipped: number }
  | { type: 'drained'; missing: number }
  | { type: 'closed' }
  | { type: 'warning'; message: string }
  | { type: 'fatal'; message: string; code?: string | undefined };
