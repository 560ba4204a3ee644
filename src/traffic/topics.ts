/**
 * Topic templates and filters: `{id}`, `{i}`, `{shard}`, `{stream}` filled per device, and
 * MQTT filter matching (`+`, `#`, `$share/<group>/…`) so a plan knows which receivers a
 * stream's messages reach.
 */

export interface TopicVars {
  id: string;
  i: number;
  shard: number;
  stream: string;
}

import { sharedFilter, topicMatches } from '../mqtt/topic-match.js';

export { topicMatches };

const VARS = ['id', 'i', 'shard', 'stream', 'n'] as const;

/**
 * The placeholders a template uses that are not known. A placeholder is `{name}` or
 * `{name:N}`; other braces (a JSON template's) are text.
 */
export function unknownPlaceholders(template: string, known: readonly string[] = VARS): string[] {
  return [...template.matchAll(/\{([A-Za-z_]\w*)(?::\d+)?\}/g)].map((m) => m[1]!).filter((v) => !known.includes(v));
}

/** The template with every placeholder filled. */
export function fillTopic(template: string, v: TopicVars): string {
  return template
    .replaceAll('{id}', v.id)
    .replaceAll('{i}', String(v.i))
    .replaceAll('{shard}', String(v.shard))
    .replaceAll('{stream}', v.stream);
}

/** A topic name's problem, or null (MQTT: non-empty, no wildcards, no NUL, at most 65535 bytes). */
export function topicNameProblem(topic: string): string | null {
  if (topic.length === 0) return 'a topic may not be empty';
  if (/[+#]/.test(topic)) return 'a topic to publish to may not hold the wildcards + or #';
  if (topic.includes('\u0000')) return 'a topic may not hold NUL';
  if (Buffer.byteLength(topic) > 65535) return 'a topic is at most 65535 bytes';
  return null;
}

/** A topic filter's problem, or null (`#` only last, `+` and `#` whole levels). */
export function topicFilterProblem(filter: string): string | null {
  const f = sharedFilter(filter);
  if (f === null) return 'a shared subscription is $share/<group>/<filter>';
  if (f.length === 0) return 'a topic filter may not be empty';
  const levels = f.split('/');
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i]!;
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) return '# must be a whole level, the last one';
    if (l.includes('+') && l !== '+') return '+ must be a whole level';
  }
  return null;
}

/**
 * Which devices' topics of a per-device `template` a subscription `filter` matches: `all`
 * (every level that names the device, {id} or {i}, is + or under #), `none`, or `some`
 * (the filter names particular devices). {shard} and {stream} are the same for every device
 * of a run and take `fixed`'s values.
 */
export function filterCoverage(
  filter: string,
  template: string,
  fixed: Pick<TopicVars, 'shard' | 'stream'>,
): 'all' | 'some' | 'none' {
  const f = sharedFilter(filter);
  if (f === null) return 'none';
  const levels = template.replaceAll('{shard}', String(fixed.shard)).replaceAll('{stream}', fixed.stream).split('/');
  const fl = f.split('/');
  if ((fl[0] === '+' || fl[0] === '#') && levels[0]!.startsWith('$')) return 'none';
  let particular = false;
  for (let i = 0; i < fl.length; i++) {
    const l = fl[i]!;
    if (l === '#') break;
    if (i >= levels.length) return 'none';
    if (l === '+') continue;
    if (/\{(id|i)\}/.test(levels[i]!)) particular = true;
    else if (l !== levels[i]) return 'none';
  }
  if (fl.at(-1) !== '#' && fl.length !== levels.length) return 'none';
  return particular ? 'some' : 'all';
}
