/**
 * MQTT topic matching (3.1.1 §4.7), with shared subscriptions (`$share/<group>/<filter>`)
 * matched as their inner filter: for the traffic streams and the embedded broker alike.
 */

/** `$share/<group>/<filter>` → its parts; null for any other filter (a malformed share too). */
export function parseShare(filter: string): { group: string; filter: string } | null {
  const m = /^\$share\/([^/+#]+)\/(.+)$/.exec(filter);
  return m === null ? null : { group: m[1]!, filter: m[2]! };
}

/** The filter without a `$share/<group>/` prefix; null when the prefix is malformed. */
export function sharedFilter(filter: string): string | null {
  if (!filter.startsWith('$share/')) return filter;
  return parseShare(filter)?.filter ?? null;
}

/** Whether `topic` matches `filter` (MQTT 3.1.1 §4.7; `$share/…` as its inner filter). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = sharedFilter(filter);
  if (f === null) return false;
  const fl = f.split('/');
  const tl = topic.split('/');
  // a filter starting with a wildcard does not match topics starting with $
  if ((fl[0] === '+' || fl[0] === '#') && topic.startsWith('$')) return false;
  for (let i = 0; i < fl.length; i++) {
    const l = fl[i]!;
    if (l === '#') return true;
    if (i >= tl.length) return false;
    if (l !== '+' && l !== tl[i]) return false;
  }
  return fl.length === tl.length;
}
