/**
 * Target URLs and the TLS knobs, as a user writes them: every scheme with its default port
 * and (WebSocket) path, IPv6 literals; and every bad value refused before the run with the
 * flag's name or the scenario's file:line:col, exit 2.
 */
import { describe, expect, it } from 'vitest';
import { parseBrokerUrl } from '../../src/mqtt/index.js';
import { parseRunArgs, runConfigFromArgs, runConfigFromFlags } from '../../src/cli/run-flags.js';
import { parseScenario } from '../../src/scenario/load.js';
import { HerdError, InputErrors } from '../../src/errors.js';

describe('target URLs', () => {
  it.each([
    ['mqtt://broker:1884', { transport: 'tcp', host: 'broker', port: 1884, path: undefined }],
    ['mqtt://broker', { transport: 'tcp', host: 'broker', port: 1883, path: undefined }],
    ['mqtts://10.0.0.1', { transport: 'tls', host: '10.0.0.1', port: 8883, path: undefined }],
    ['broker.example:8884', { transport: 'tls', host: 'broker.example', port: 8884, path: undefined }],
    ['ws://[::1]:8080', { transport: 'ws', host: '::1', port: 8080, path: '/mqtt' }],
    ['wss://iot.example', { transport: 'wss', host: 'iot.example', port: 443, path: '/mqtt' }],
    ['wss://iot.example/ws?x=1', { transport: 'wss', host: 'iot.example', port: 443, path: '/ws?x=1' }],
    ['ws://h/', { transport: 'ws', host: 'h', port: 80, path: '/' }],
  ])('%s', (url, want) => {
    expect(parseBrokerUrl(url)).toEqual(want);
  });

  it.each(['http://h:80', 'mqtts://h:0', 'mqtts://h:70000', 'mqtt://h/path', 'wss://h#frag', 'mqtt://a b'])(
    'refuses %s',
    (url) => expect(parseBrokerUrl(url)).toBeUndefined(),
  );
});

function usage(argv: string[]): string {
  try {
    runConfigFromArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(HerdError);
    expect((e as HerdError).exitCode).toBe(2);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('flags', () => {
  it('take the knobs: a mixed target list, ALPN, groups, ciphers, the ws timeout', () => {
    const c = runConfigFromArgs(
      ['--target', 'mqtt://127.0.0.1:1883,wss://[::1]:443/mqtt', '--alpn', 'x-amzn-mqtt-ca,mqtt'].concat([
        '--tls-groups',
        'X25519:P-256',
        '--tls-ciphers',
        'TLS_AES_128_GCM_SHA256',
        '--ws-timeout',
        '3s',
      ]),
    );
    expect(c.targets).toEqual(['mqtt://127.0.0.1:1883', 'wss://[::1]:443/mqtt']);
    expect(c.tls).toMatchObject({ alpn: ['x-amzn-mqtt-ca', 'mqtt'], groups: 'X25519:P-256' });
    expect(c.tls.ciphers).toBe('TLS_AES_128_GCM_SHA256');
    expect(c.timeouts.wsMs).toBe(3000);
  });

  it.each([
    [['--target', 'http://h:80'], '--target', 'expected mqtt://, mqtts://, ws:// or wss://'],
    [['--alpn', 'a,a'], '--alpn', 'listed twice'],
    [['--alpn', ''], '--alpn', '1 to 255 bytes'],
    [['--tls-groups', 'X25519:nope'], '--tls-groups', 'no such group list'],
    [['--tls-ciphers', 'NOPE'], '--tls-ciphers', 'matches no cipher'],
    [['--servername', '127.0.0.1'], '--servername', 'cannot be a TLS server name'],
    [['--tls-version', '1.3', '--tls-max-version', '1.2'], '--tls-max-version', 'below'],
  ])('%j is refused naming %s', (argv, flag, text) => {
    const m = usage(argv);
    expect(m).toContain(flag);
    expect(m).toContain(text);
  });
});

describe('scenario', () => {
  function problems(yaml: string): string[] {
    try {
      parseScenario(yaml, 'tls.yaml');
    } catch (e) {
      if (e instanceof InputErrors) return e.errors.map((x) => x.message);
      return [(e as Error).message];
    }
    return [];
  }

  it('takes tls.alpn (a list or one), groups and ciphers', () => {
    const s = parseScenario(
      'target: [mqtt://a:1883, "wss://b/mqtt"]\ntls: { alpn: x-amzn-mqtt-ca, groups: "X25519:P-256", ciphers: TLS_AES_256_GCM_SHA384 }\n',
      't.yaml',
    );
    expect(s).toMatchObject({ targets: ['mqtt://a:1883', 'wss://b/mqtt'], alpn: ['x-amzn-mqtt-ca'] });
    expect(s).toMatchObject({ groups: 'X25519:P-256', ciphers: 'TLS_AES_256_GCM_SHA384' });
  });

  it('says where each bad value is, all at once', () => {
    const p = problems(
      [
        'target: "mqtt://a/b"',
        'tls:',
        '  alpn: [mqtt, mqtt]',
        '  groups: "X25519:bogus"',
        '  ciphers: NONE_OF_THEM',
        '  servername: 10.0.0.1',
      ].join('\n'),
    );
    expect(p).toEqual([
      expect.stringMatching(/^tls\.yaml:1:9: .*expected mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//),
      expect.stringMatching(/^tls\.yaml:6:15: .*cannot be a TLS server name/),
      expect.stringMatching(/^tls\.yaml:3:9: .*listed twice/),
      expect.stringMatching(/^tls\.yaml:4:11: .*no such group list/),
      expect.stringMatching(/^tls\.yaml:5:12: .*matches no cipher/),
    ]);
  });

  it('refuses certificate faults against a plain target', () => {
    const base = parseScenario('target: mqtt://a:1883\nfaults: { expired: 1% }\n', 'f.yaml');
    expect(() => runConfigFromFlags(parseRunArgs([]).parsed, false, base)).toThrow(
      /target: the scenario's certificate faults \(expired\) need TLS: mqtt:\/\/a:1883 has no client certificate/,
    );
    const flag = parseRunArgs(['--target', 'mqtts://a:8883']).parsed;
    expect(runConfigFromFlags(flag, false, base).targets).toEqual(['mqtts://a:8883']);
  });
});
