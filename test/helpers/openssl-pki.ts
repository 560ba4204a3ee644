/**
 * Certificates made with the openssl CLI: an independent source of credentials, so tests
 * can cross-check herd's own PKI and the broker/driver do not only ever see herd's bytes.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

function ossl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface OpensslCa {
  dir: string;
  crt: string;
  key: string;
}

export function opensslCa(dir: string, cn = 'Test CA'): OpensslCa {
  mkdirSync(dir, { recursive: true });
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.ec.key'], dir);
  ossl(['pkcs8', '-topk8', '-nocrypt', '-in', 'ca.ec.key', '-out', 'ca.key'], dir);
  ossl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-sha256',
      '-days',
      '30',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  return { dir, crt: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
}

/** A leaf signed by `ca`: server (serverAuth, SAN localhost/127.0.0.1) or device (clientAuth). */
export function opensslLeaf(
  ca: OpensslCa,
  name: string,
  kind: 'server' | 'device',
  cn = name,
): { crt: string; key: string } {
  const dir = ca.dir;
  const ext =
    kind === 'server'
      ? 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n'
      : `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:spiffe://herd.local/device/${cn},DNS:${cn}.local\n`;
  writeFileSync(join(dir, `${name}.ext`), ext);
  ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.ec.key`], dir);
  ossl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.ec.key`, '-out', `${name}.key`], dir);
  ossl(['req', '-new', '-key', `${name}.key`, '-subj', `/O=Test/OU=IoT-Device/CN=${cn}`, '-out', `${name}.csr`], dir);
  ossl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  return { crt: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}
