/** The embedded mTLS broker (aedes behind Node TLS; MQTT 3.1.1 and 5). */
export { startBroker, type BrokerOptions, type BrokerStats, type RunningBroker } from './broker.js';
export type { IdentityMode } from './identity.js';
