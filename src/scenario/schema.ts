/**
 * The scenario file's schema: the base (every section but `load`) and the executors'
 * fragments from the registry. scenario.schema.json is this, written by `npm run schema`
 * (a test checks the shipped file is up to date).
 */
import { loadSchema } from '../load/registry.js';
import { trafficSchema } from '../traffic/registry.js';
import type { JsonSchema } from '../util/json-schema.js';

const BASE: JsonSchema & { properties: Record<string, JsonSchema> } = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://mqtt-herd.dev/scenario.schema.json',
  title: 'mqtt-herd scenario',
  description: 'A load scenario for `herd run`. Durations: 500ms, 30s, 2m, 1h. Rates: 200/s. Shares: 1%.',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$',
      description: 'scenario name (labels, reports)',
    },
    target: {
      description:
        'mqtt://host:port (TCP), mqtts://host:port (TLS), ws://host:port/path or wss://host:port/path (WebSocket, path default /mqtt), or a list of them (a cluster; they may mix); omitted: the embedded broker',
      anyOf: [
        {
          type: 'string',
          pattern: '^(mqtts?|ssl|tls|tcp|wss?)://[^\\s]+$',
        },
        {
          type: 'array',
          minItems: 1,
          items: {
            type: 'string',
            pattern: '^(mqtts?|ssl|tls|tcp|wss?)://[^\\s]+$',
          },
        },
      ],
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ca: {
          type: 'string',
          description: "CA file trusted for the server certificate (default: the devices' CA)",
        },
        servername: {
          type: 'string',
          description: 'SNI and the name checked in the server certificate',
        },
        version: {
          type: 'string',
          enum: ['1.2', '1.3'],
          description: 'minimum TLS version',
        },
        max_version: {
          type: 'string',
          enum: ['1.2', '1.3'],
          description: 'maximum TLS version',
        },
        alpn: {
          description: 'ALPN protocols to offer, in order (AWS IoT Core on 443: x-amzn-mqtt-ca)',
          anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, items: { type: 'string' } }],
        },
        groups: {
          type: 'string',
          description: "key exchange groups in order of preference, e.g. X25519:P-256 (OpenSSL's names)",
        },
        ciphers: {
          type: 'string',
          description: 'cipher suites: TLS 1.3 (TLS_AES_128_GCM_SHA256:...) and/or TLS 1.2 OpenSSL names',
        },
        resume_ratio: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'share of reconnects that resume a TLS session',
        },
      },
    },
    devices: {
      type: 'object',
      additionalProperties: false,
      properties: {
        count: {
          type: 'integer',
          minimum: 1,
        },
        ca: {
          type: 'string',
          description: 'directory with ca.crt and ca.key to mint devices from',
        },
        store: {
          type: 'string',
          description: 'a store minted ahead of time (herd pki mint)',
        },
        id_template: {
          type: 'string',
          pattern: '\\{i\\}',
        },
        key: {
          type: 'string',
          enum: ['p256', 'p384', 'ed25519', 'rsa2048'],
        },
        seed: {
          anyOf: [
            {
              type: 'string',
            },
            {
              type: 'integer',
            },
          ],
        },
        uri_domain: {
          type: 'string',
        },
      },
    },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      properties: {
        version: {
          anyOf: [
            {
              type: 'integer',
              enum: [4, 5],
            },
            {
              type: 'string',
              enum: ['3.1.1', '5', '5.0'],
            },
          ],
        },
        keepalive: {
          anyOf: [
            {
              type: 'integer',
              minimum: 0,
              maximum: 65535,
            },
            {
              type: 'string',
              format: 'duration',
            },
          ],
          description: 'seconds, or a duration',
        },
        clean: {
          type: 'boolean',
          description:
            'clean start (default true); false keeps the session (queued QoS 1/2 messages) across reconnects',
        },
        session_expiry: {
          type: 'string',
          format: 'duration',
          description: 'MQTT 5 with clean: false: how long the broker keeps the session (default 1h)',
        },
        subscribe: {
          type: 'string',
          description: 'topic to subscribe to after CONNACK; {id} is the device id',
        },
      },
    },
    faults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        expired: {
          type: 'string',
          format: 'percent',
        },
        not_yet_valid: {
          type: 'string',
          format: 'percent',
        },
        wrong_ca: {
          type: 'string',
          format: 'percent',
        },
        revoked: {
          type: 'string',
          format: 'percent',
        },
        cn_mismatch: {
          type: 'string',
          format: 'percent',
        },
        no_cert: {
          type: 'string',
          format: 'percent',
        },
        wrong_eku: {
          type: 'string',
          format: 'percent',
        },
      },
    },
    thresholds: {
      type: 'object',
      description:
        'metric → expressions, k6 style: connect_duration: ["p(99) < 500ms"]; an empty list turns off the default gates of that metric',
      additionalProperties: {
        anyOf: [
          {
            type: 'string',
          },
          {
            type: 'array',
            items: {
              type: 'string',
            },
          },
        ],
      },
    },
  },
};

/** The whole schema, `load` (after `mqtt`) and `traffic` (after `faults`) included. */
export function scenarioSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [k, v] of Object.entries(BASE.properties)) {
    properties[k] = v;
    if (k === 'mqtt') properties.load = loadSchema();
    if (k === 'faults') properties.traffic = trafficSchema();
  }
  return { ...BASE, properties };
}

/** The text of scenario.schema.json. */
export function schemaFileText(): string {
  return `${JSON.stringify(scenarioSchema(), null, 2)}\n`;
}
