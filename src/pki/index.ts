/** The PKI: CA, server and device certificates, bulk deterministic minting, the device store, CRLs. */
export { createCa, loadCa, type CaOptions, type LoadedCa, type WrittenFiles } from './ca.js';
export { issueServer, issueDevice, type ServerOptions, type DeviceOptions } from './issue.js';
export { writeCrl, type CrlOptions } from './crl.js';
export { mintStore, type MintOptions, type MintProgress, type MintStats } from './mint.js';
export { openStore, DeviceStore, type DeviceRecord } from './store.js';
export type { StoreMeta } from './store-format.js';
export { exportDevice, type ExportOptions } from './export.js';
export { parseFaults, type FaultShares } from './faults.js';
export { KEY_KINDS, unmintableKey, type KeyKind, type MintKeyKind } from './keys.js';
export {
  checkIsCa,
  checkKeyMatches,
  readCertificatePem,
  readPrivateKeyPem,
  readServerCaPem,
  type CertificateFile,
  type PrivateKeyFile,
} from './pem-input.js';
export { readInput } from './files.js';
export type { FaultSpan } from './fault-spread.js';
export { mintClientIdentities, type ClientIdentity } from './client-cert.js';
