/**
 * `--push URL`: the final values go to a Prometheus Pushgateway, for runs shorter than a
 * scrape interval or generators Prometheus cannot reach. One group per scenario and
 * shard (job `mqtt-herd`, instance `<scenario>-shard-<i>`): a new run of the same shard
 * replaces the previous one instead of piling up groups that never go away.
 */
import { Pushgateway, type Registry } from 'prom-client';
import { UsageError } from '../errors.js';

const PUSH_JOB = 'mqtt-herd';
const PUSH_TIMEOUT_MS = 10_000;

/** The Pushgateway's base URL (http or https, optionally with a path prefix). */
export function checkPushUrl(spec: string): URL {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new UsageError(`"${spec}" is not a URL (expected e.g. http://pushgateway:9091)`, '--push');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`"${spec}": only http and https Pushgateways are supported`, '--push');
  if (url.search !== '' || url.hash !== '')
    throw new UsageError(`"${spec}": give the Pushgateway's base URL, without a query or fragment`, '--push');
  return url;
}

/** The `instance` grouping label: safe in a URL path segment (no slash, no base64 needed). */
export function pushInstance(scenario: string, shard: number): string {
  const name = scenario.replace(/[^A-Za-z0-9_.-]/g, '_') || 'run';
  return `${name}-shard-${shard}`;
}

/** PUTs the registry's current values into the group (replacing the group's previous values). */
export async function pushRegistry(registry: Registry, url: URL, instance: string): Promise<void> {
  const base = url.href.replace(/\/+$/, '');
  const gateway = new Pushgateway(base, { timeout: PUSH_TIMEOUT_MS }, registry);
  await gateway.push({ jobName: PUSH_JOB, groupings: { instance } });
}
