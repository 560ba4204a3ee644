/**
 * src/mqtt: the device's lean MQTT driver over TCP, TLS or WebSocket. Prepare a device once (TLS context,
 * encoded packets), then attempt() as often as needed; every attempt is timed per phase.
 */
export { attempt } from './connection.js';
export {
  contextOptions,
  prepareDevice,
  type DeviceCredentials,
  type DeviceExtras,
  type DriverRunOptions,
  type PreparedDevice,
} from './device.js';
export { SharedContexts, sharedContextsWork } from './contexts.js';
export { encodeConnect, type MqttVersion } from './packets.js';
export type { DriverReason } from './reasons.js';
export type { AttemptOptions, AttemptOutcome, HeldConnection, PhaseTimings, Target, Timeouts } from './types.js';
export {
  DEFAULT_PORTS,
  DEFAULT_WS_PATH,
  TARGET_SCHEMES,
  WS_SUBPROTOCOL,
  formatBrokerUrl,
  isSecure,
  parseBrokerUrl,
  type BrokerAddress,
  type Transport,
} from './transport.js';
export { alpnProblem, ciphersProblem, groupsProblem, servernameProblem } from './tls-options.js';
export { Flow, QUEUE_CAP, WINDOW_CAP, type FlowOwner, type FlowSink, type TrafficHooks } from './flow.js';
export { inbound, type InboundPublish } from './inbound.js';
export {
  allocPublish,
  encodePublishProperties,
  preparePublish,
  topicBytes,
  type PreparedPublish,
  type PublishProperties,
  type PublishQos,
} from './publish.js';
