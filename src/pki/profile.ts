/**
 * The certificate profiles and the rules for names that go into them: one place, used by
 * the single-certificate commands and by the bulk minter alike.
 */
import { UsageError } from '../errors.js';

export const DEFAULTS = {
  org: 'mqtt-herd',
  country: 'US',
  caCn: 'mqtt-herd CA',
  serverCn: 'localhost',
  uriDomain: 'herd.local',
  idTemplate: 'dev-{i}',
  caDays: 3650,
  serverDays: 825,
  crlDays: 30,
} as const;

/** Every device certificate has this organisational unit. */
export const DEVICE_OU = 'IoT-Device';

export const OID = {
  country: '2.5.4.6',
  org: '2.5.4.10',
  ou: '2.5.4.11',
  cn: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

export const deviceUri = (domain: string, id: string): string => `spiffe://${domain}/device/${id}`;
export const deviceDns = (id: string): string => `${id}.local`;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_ID_LENGTH = 64;

/** Why `id` cannot be a device id (a CN, a DNS label prefix, a URI segment and a file name). */
export function badDeviceId(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (id.length > MAX_ID_LENGTH)
    return `is ${id.length} characters long (at most ${MAX_ID_LENGTH}: it is a certificate CN)`;
  if (!ID_RE.test(id) || id.includes('..') || id.endsWith('.')) {
    return 'cannot be a certificate CN and a file name: use letters, digits, ".", "_" and "-", starting with a letter or digit';
  }
  return undefined;
}

export function checkDeviceId(id: string, flag = '--device-id'): string {
  const why = badDeviceId(id);
  if (why) throw new UsageError(`"${id}" ${why}`, flag);
  return id;
}

/** `dev-{i}`: exactly one `{i}`, the rest usable in a device id. */
export function checkIdTemplate(t: string, flag = '--id-template'): string {
  const parts = t.split('{i}');
  if (parts.length !== 2) throw new UsageError(`"${t}" must contain "{i}" exactly once (e.g. dev-{i})`, flag);
  const why = badDeviceId(parts.join('0'));
  if (why) throw new UsageError(`"${t}" ${why}`, flag);
  return t;
}

export function idFromTemplate(t: string, i: number): string {
  return t.replace('{i}', String(i));
}

/** The index a template gives this id, or undefined when it cannot come from the template. */
export function indexFromId(t: string, id: string): number | undefined {
  const [pre = '', post = ''] = t.split('{i}');
  if (!id.startsWith(pre) || !id.endsWith(post) || id.length <= pre.length + post.length) return undefined;
  const digits = id.slice(pre.length, id.length - post.length);
  if (!/^(0|[1-9]\d*)$/.test(digits)) return undefined;
  const i = Number(digits);
  return Number.isSafeInteger(i) ? i : undefined;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DOMAIN_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

export function checkDomain(d: string, flag: string): string {
  if (d.length > 253 || !DOMAIN_RE.test(d)) throw new UsageError(`"${d}" is not a DNS name`, flag);
  return d;
}

export function checkCountry(c: string, flag = '--country'): string {
  if (!/^[A-Z]{2}$/.test(c)) throw new UsageError(`"${c}" is not a two-letter country code (e.g. US, DE)`, flag);
  return c;
}

/** O / CN values: 1–64 characters, no control characters. */
export function checkNameValue(v: string, flag: string): string {
  // eslint-disable-next-line no-control-regex
  if (v.length === 0 || v.length > 64 || /[\u0000-\u001f\u007f]/.test(v)) {
    throw new UsageError(`"${v}" must be 1-64 printable characters`, flag);
  }
  return v;
}

export function checkIp(ip: string, flag = '--ip'): string {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  if (!v4.test(ip) && !(ip.includes(':') && /^[0-9A-Fa-f:.]+$/.test(ip)))
    throw new UsageError(`"${ip}" is not an IP address`, flag);
  return ip;
}
