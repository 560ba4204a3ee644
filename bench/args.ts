/** The arguments every benchmark's `herd run` starts with: where, which devices, how to trust the broker. */
export function herdRunArgs(target: string, store: string, serverCa: string, devices: number): string[] {
  return [
    'run',
    '--target',
    target,
    '--store',
    store,
    '--server-ca',
    serverCa,
    '--servername',
    'localhost',
    '--devices',
    String(devices),
  ];
}
