/** Piscina worker: mints one batch of devices (see src/pki/minter.ts). */
import { Minter, type MintedBatch } from '../src/pki/minter.js';
import type { MintTask } from '../src/pki/mint.js';

let current: { key: string; minter: Minter } | undefined;

export default function mint(task: MintTask): MintedBatch {
  if (current?.key !== task.jobKey) current = { key: task.jobKey, minter: new Minter(task.job) };
  return current.minter.mint(task.start, task.count);
}
