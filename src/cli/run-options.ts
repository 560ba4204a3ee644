/** The flags of `herd run` (and of `herd capacity`, which takes the run's flags) and their help. */
import type { OptionSpec } from './args.js';
import { DEFAULTS } from '../run/config.js';
import { DEFAULT_EXECUTOR, DEFAULT_RATE, executorHelp } from '../load/registry.js';

export const RUN_OPTIONS: OptionSpec = {
  target: { type: 'string' },
  pki: { type: 'string' },
  store: { type: 'string' },
  'server-ca': { type: 'string' },
  servername: { type: 'string' },
  devices: { type: 'string' },
  'uri-domain': { type: 'string' },
  'id-template': { type: 'string' },
  seed: { type: 'string' },
  key: { type: 'string' },
  rate: { type: 'string' },
  'in-flight': { type: 'string' },
  duration: { type: 'string' },
  hold: { type: 'string' },
  executor: { type: 'string' },
  connections: { type: 'string' },
  mqtt: { type: 'string' },
  keepalive: { type: 'string' },
  subscribe: { type: 'string' },
  'tls-version': { type: 'string' },
  'tls-max-version': { type: 'string' },
  alpn: { type: 'string' },
  'tls-groups': { type: 'string' },
  'tls-contexts': { type: 'string' },
  'tls-ciphers': { type: 'string' },
  'ws-timeout': { type: 'string' },
  'resume-ratio': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'tcp-timeout': { type: 'string' },
  'tls-timeout': { type: 'string' },
  'connack-timeout': { type: 'string' },
  'subscribe-timeout': { type: 'string' },
  workers: { type: 'string' },
  processes: { type: 'string' },
  'source-ips': { type: 'string' },
  out: { type: 'string' },
  'metrics-port': { type: 'string' },
  linger: { type: 'string' },
  push: { type: 'string' },
  'shard-index': { type: 'string' },
  'shard-count': { type: 'string' },
  'start-at': { type: 'string' },
  baseline: { type: 'string' },
  'max-regression': { type: 'string' },
  'baseline-metrics': { type: 'string' },
  threshold: { type: 'string', multiple: true },
  'no-default-gates': { type: 'boolean' },
  reconnect: { type: 'boolean' },
  'publish-every': { type: 'string' },
  messages: { type: 'string' },
  qos: { type: 'string' },
  payload: { type: 'string' },
  topic: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

export const RUN_HELP = (): string => `herd run [SCENARIO.yaml] [flags]      (no arguments at all: the demo)

  --target URL[,URL...]     the broker(s): mqtt://host:1883 (TCP), mqtts://host:8883 (TLS), ws://host:80/mqtt,
                            wss://host:443/mqtt (WebSocket, subprotocol mqtt); they may mix; IPv6 as [::1];
                            none: start the embedded broker
  --pki DIR                 CA (ca.crt + ca.key) to mint devices from; trusted for the server
  --store STORE             devices minted ahead of time (herd pki mint)
  --server-ca FILE          CA to trust for the server certificate (default: the run's CA)
  --servername NAME         TLS SNI / name to verify (default: the target host; an IP target: its IP SANs)
  --alpn P[,P...]           ALPN protocols to offer (AWS IoT Core on 443: x-amzn-mqtt-ca)
  --tls-groups LIST         key exchange groups in order, e.g. X25519:P-256
  --tls-contexts shared|per-device
                            one TLS context per worker, given each device's certificate per connect
                            (default; less memory and CPU), or a context per device
  --tls-ciphers LIST        cipher suites (TLS 1.3 TLS_AES_128_GCM_SHA256:..., TLS 1.2 OpenSSL names)
  --devices N               devices (default ${DEFAULTS.devices})
  --rate N/s|max            connects per second, open loop (default ${DEFAULT_RATE}/s); max: closed loop
  --in-flight N             cap on connects between start and CONNACK (default ${DEFAULTS.inFlight})
  --duration 30s            stop scheduling after this long
  --hold 30s                keep each connection up this long after CONNACK (default 10s; 0s: disconnect at once)
  --executor NAME           how the devices connect (default ${DEFAULT_EXECUTOR}):
${executorHelp()}
  --connections N           connections to keep up (executors that keep some up)
  --reconnect               devices that fail to connect or lose their session retry, backoff 1s…128s with
                            full jitter (a scenario's load.reconnect sets it in detail)
  --mqtt 3.1.1|5            protocol version (default 3.1.1)
  --keepalive 60s           MQTT keepalive
  --subscribe TOPIC         subscribe after CONNACK ({id} is the device id)
  --publish-every 10s       each device publishes telemetry this often (one stream; a scenario's traffic: for more)
  --messages N              ... this many per device (default: until its hold ends)
  --qos 0|1|2               ... at this QoS (default 0)
  --payload 256             ... of this many bytes (at least 24: the header receivers read)
  --topic devices/{id}/telemetry   ... to this topic ({id} {i} {shard} {stream})
  --tls-version 1.2|1.3     minimum TLS version; --tls-max-version likewise
  --resume-ratio 0.5        share of reconnects that resume their TLS session (reported apart)
  --connect-timeout 10s     timeout of each phase (tcp, tls, ws, connack, subscribe); or one by one:
  --tcp-timeout, --tls-timeout, --ws-timeout, --connack-timeout, --subscribe-timeout
  --workers N               connection worker threads (default: one per core)
  --processes N             generator processes (default: as many as the open-files limit requires)
  --source-ips A-B[,C]      local addresses to spread connections over
  --out DIR                 write summary.json and junit.xml there
  --threshold 'connect_duration:p(99) < 500ms'   a threshold (repeatable)
  --no-default-gates        no default gates (without thresholds a run fails when nothing connected,
                            more than 1% of connects failed or the broker ended more than 1% of the sessions)
  --baseline SUMMARY.json   fail (exit 99) when a metric regressed beyond --max-regression (default 10%)
  --baseline-metrics LIST   default connect_duration:p(50),connect_duration:p(99),connect_failures:rate
  --metrics-port P          serve Prometheus metrics on :P/metrics (0: any free port)
  --linger 15s              keep serving the final metrics this long after the run
  --push URL                push the final metrics to a Pushgateway
  --shard-index I --shard-count N   run slice I of N (default: JOB_COMPLETION_INDEX)
  --start-at TIME           shards start together at this ISO 8601 time
`;
