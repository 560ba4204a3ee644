import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { CURVES, DeterministicEcdsa, type EcCurve } from '../../src/pki/ecdsa.js';

// RFC 6979, appendix A.2.5-A.2.7 (message "sample", hash paired with the curve).
const VECTORS: { curve: EcCurve; x: string; k: string; r: string; s: string }[] = [
  {
    curve: 'P-256',
    x: 'C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721',
    k: 'A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60',
    r: 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716',
    s: 'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8',
  },
  {
    curve: 'P-384',
    x: '6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5',
    k: '94ED910D1A099DAD3254E9242AE85ABDE4BA15168EAF0CA87A555FD56D10FBCA2907E3E83BA95368623B8C4686915CF9',
    r: '94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46',
    s: '99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8',
  },
  {
    curve: 'P-521',
    x: '00FAD06DAA62BA3B25D2FB40133DA757205DE67F5BB0018FEE8C86E1B68C7E75CAA896EB32F1F47C70855836A6D16FCC1466F6D8FBEC67DB89EC0C08B0E996B83538',
    k: '01DAE2EA071F8110DC26882D4D5EAE0621A3256FC8847FB9022E2B7D28E6F10198B1574FDD03A9053C08A1854A168AA5A57470EC97DD5CE090124EF52A2F7ECBFFD3',
    r: '00C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F174E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E377FA',
    s: '00617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF282623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A67A',
  },
];

function publicKeyOf(curve: EcCurve, xHex: string): crypto.KeyObject {
  const c = CURVES[curve];
  const ecdh = crypto.createECDH(c.openssl);
  ecdh.setPrivateKey(Buffer.from(xHex, 'hex').subarray(-c.bytes));
  const p = ecdh.getPublicKey();
  const b64 = (b: Buffer) => b.toString('base64url');
  return crypto.createPublicKey({
    key: { kty: 'EC', crv: curve, x: b64(p.subarray(1, 1 + c.bytes)), y: b64(p.subarray(1 + c.bytes)) },
    format: 'jwk',
  });
}

describe('deterministic ECDSA', () => {
  for (const v of VECTORS) {
    it(`matches the RFC 6979 vector for ${v.curve}`, () => {
      const c = CURVES[v.curve];
      const signer = new DeterministicEcdsa(c, Buffer.from(v.x, 'hex'));
      const h = crypto.createHash(c.hash).update('sample').digest();
      expect(signer.nonces(h).next().value).toBe(BigInt('0x' + v.k));
      const [sig] = signer.signDigests([h]);
      const der = sig!.toString('hex').toUpperCase();
      expect(der).toContain(v.r.replace(/^00(?=[0-7])/, ''));
      expect(der).toContain(v.s.replace(/^00(?=[0-7])/, ''));
      expect(
        crypto.verify(c.hash, Buffer.from('sample'), { key: publicKeyOf(v.curve, v.x), dsaEncoding: 'der' }, sig!),
      ).toBe(true);
    });
  }

  it('signs a batch with one shared inversion, each signature valid and repeatable', () => {
    const c = CURVES['P-256'];
    const x = crypto.randomBytes(32).toString('hex');
    const signer = new DeterministicEcdsa(c, Buffer.from(x, 'hex'));
    const msgs = Array.from({ length: 50 }, (_, i) => Buffer.from(`message ${i}`));
    const digests = msgs.map((m) => crypto.createHash('sha256').update(m).digest());
    const a = signer.signDigests(digests);
    const b = new DeterministicEcdsa(c, Buffer.from(x, 'hex')).signDigests(digests.slice(10, 20));
    expect(b).toEqual(a.slice(10, 20));
    const pub = publicKeyOf('P-256', x);
    for (const [i, m] of msgs.entries())
      expect(crypto.verify('sha256', m, { key: pub, dsaEncoding: 'der' }, a[i]!)).toBe(true);
    expect(crypto.verify('sha256', Buffer.from('other'), { key: pub, dsaEncoding: 'der' }, a[0]!)).toBe(false);
  });
});
