/**
 * The handshake benchmark's MQTT.js contender: mqtt.connect over TLS with a SecureContext
 * built once per device (passed through to tls.connect), reconnectPeriod 0, CONNACK, then
 * end(). Same closed loop as the raw baseline.
 */
import mqtt from 'mqtt';
import { closedLoop } from './closed-loop.js';

closedLoop(({ device, secureContext, port, servername, finish }) => {
  const client = mqtt.connect({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port,
    servername,
    secureContext,
    clientId: device.id,
    protocolVersion: 4,
    keepalive: 60,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    rejectUnauthorized: true,
  } as mqtt.IClientOptions);
  client.once('connect', () => {
    client.end();
    finish(true);
  });
  client.once('error', () => {
    client.end(true);
    finish(false);
  });
  client.once('close', () => finish(false));
});
