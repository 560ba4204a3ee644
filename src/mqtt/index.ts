/** The per-connection MQTT driver: prepare a device once, then attempt() as often as needed. */
export {
  attempt,
  Connection,
  type AttemptOptions,
  type AttemptOutcome,
  type HeldConnection,
  type PhaseTimings,
  type Target,
  type Timeouts,
} from './connection.js';
export { prepareDevice, type DeviceCredentials, type DriverRunOptions, type PreparedDevice } from './device.js';
export {
  encodeConnect,
  encodeSubscribe,
  encodeDevicePackets,
  PINGREQ,
  DISCONNECT,
  type DevicePackets,
  type MqttVersion,
} from './packets.js';
export {
  classifyClose,
  classifyError,
  classifyTimeout,
  connackReason,
  disconnectReason,
  tlsAlertName,
  type Classified,
  type DriverReason,
  type DriverState,
  type ProposedReason,
} from './reasons.js';
export { deadlines, Deadlines, type Timed } from './deadlines.js';
