/**
 * Opening an attempt's transport: the TCP or TLS socket itself (mqtt://, mqtts://), or a
 * WebSocket upgraded over it (ws://, wss://). Throws what the connect throws synchronously.
 */
import type { PreparedDevice } from './device.js';
import { dial } from './dial.js';
import { listen, type Wire } from './socket-events.js';
import { isSecure, type Transport } from './transport.js';
import type { Target } from './types.js';
import { openWebSocket, type WsOwner } from './ws.js';

export function openWire(
  owner: WsOwner,
  target: Target,
  transport: Transport,
  device: PreparedDevice,
  session: Buffer | undefined,
): Wire {
  const secure = isSecure(transport);
  if (transport === 'ws' || transport === 'wss') return openWebSocket(owner, target, secure, device, session);
  const s = dial(owner, target, secure, device, session);
  listen(s, secure);
  return s;
}
