/** The traffic's extra clients: who they are, their certificates, and the controllers' choice of targets. */
import { beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, loadCa, mintClientIdentities, type LoadedCa } from '../../src/pki/index.js';
import { clientSlots } from '../../src/engine/clients/specs.js';
import { CommandStream, Targets } from '../../src/engine/clients/controller.js';
import { trafficFromScenario } from '../../src/traffic/registry.js';
import type { ControllerSpec } from '../../src/engine/clients/protocol.js';

const names = { country: 'US', org: 'mqtt-herd', uriDomain: 'herd.local' };

describe('client certificates', () => {
  let ca: LoadedCa;
  beforeAll(async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'herd-client-ca-')), 'ca');
    await createCa({ out: dir });
    ca = loadCa(dir);
  });

  it('CN = client id, signed by the CA, clientAuth, key matching; the same seed gives the same bytes', () => {
    const [a, b] = mintClientIdentities(ca, names, 'seed-1', ['subscriber-0', 'controller-0']);
    for (const w of [a!, b!]) {
      const cert = new crypto.X509Certificate(w.certPem);
      expect(cert.subject).toContain(`CN=${w.id}`);
      expect(cert.verify(ca.cert.publicKey)).toBe(true);
      expect(cert.checkIssued(ca.cert)).toBe(true);
      expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
      expect(cert.checkPrivateKey(crypto.createPrivateKey(w.keyPem))).toBe(true);
    }
    expect(a!.certPem).not.toBe(b!.certPem);
    const again = mintClientIdentities(ca, names, 'seed-1', ['subscriber-0']);
    expect(again[0]).toEqual(a);
    const other = mintClientIdentities(ca, names, 'seed-2', ['subscriber-0']);
    expect(other[0]!.keyPem).not.toBe(a!.keyPem);
  });
});

describe('client slots', () => {
  it('numbers {n} over every stream of a kind, so two streams never share a client id', () => {
    const t = trafficFromScenario([
      { kind: 'subscribers', count: 2 },
      { kind: 'commands', rate: '1/s', controllers: 2 },
      { kind: 'subscribers', count: 1, client_id: 'fan-{n}' },
    ]);
    if (!t.ok) throw new Error('traffic');
    expect(clientSlots(t.config).map((s) => `${s.role} ${s.id} ${s.stream}/${s.n}`)).toEqual([
      'subscriber subscriber-0 0/0',
      'subscriber subscriber-1 0/1',
      'controller controller-0 1/0',
      'controller controller-1 1/1',
      'subscriber fan-2 2/0',
    ]);
  });

  it('controllers subscribe to the response template with + for its placeholders, shared when several', () => {
    const spec = { responseTopic: 'devices/{id}/responses', of: 1 } as ControllerSpec;
    expect(CommandStream.responseFilter(spec)).toBe('devices/+/responses');
    expect(CommandStream.responseFilter({ ...spec, of: 3, responseTopic: 'r/dev-{i}/x' })).toBe('$share/herd/r/+/x');
  });
});

describe('command targets', () => {
  it('takes devices in turn, never one past its last moment, and not after it dropped', () => {
    const t = new Targets();
    t.add(1, 1000);
    t.add(2, 5000);
    t.add(3, 5000);
    expect([t.pick(0), t.pick(0), t.pick(0), t.pick(0)]).toEqual([1, 2, 3, 1]);
    // device 1's hold is nearly over: it is skipped and forgotten
    const later = [t.pick(1000), t.pick(1000), t.pick(1000), t.pick(1000)];
    expect(later).not.toContain(1);
    expect(new Set(later)).toEqual(new Set([2, 3]));
    expect(t.size).toBe(2);
    t.remove(2);
    expect([t.pick(2000), t.pick(2000)]).toEqual([3, 3]);
    t.remove(3);
    expect(t.pick(2000)).toBeUndefined();
  });
});
