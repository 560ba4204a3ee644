/**
 * src/util: helpers with no knowledge of MQTT or of mqtt-herd's vocabulary (numbers, time,
 * files, paths, the JSON Schema type). They import nothing of ours but src/errors.ts.
 */

/** `x` rounded to `decimals` decimal places (3: to the thousandth). */
export function round(x: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
