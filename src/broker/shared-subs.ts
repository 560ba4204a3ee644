/**
 * Shared subscriptions (`$share/<group>/<filter>`, MQTT 5 §4.8.2, also accepted from 3.1.1
 * clients as mosquitto does) for the embedded broker, on top of aedes, which has none: the
 * subscription reaches aedes as its inner filter, and each message matching it is forwarded
 * to one member of the group only, taking the members in turn (by the broker's counter of
 * the message, so every member's forwarding decides alike).
 */
import { topicMatches } from '../mqtt/topic-match.js';

export { parseShare } from '../mqtt/topic-match.js';

interface Share {
  group: string;
  filter: string;
}

export class SharedSubscriptions {
  /** per client id: its shared subscriptions */
  readonly #byClient = new Map<string, Share[]>();
  /** per group and filter: the members, in the order they joined */
  readonly #members = new Map<string, string[]>();

  /** A client subscribed to `share`: it joins the group for that filter. */
  join(clientId: string, share: Share): void {
    const mine = this.#byClient.get(clientId) ?? [];
    if (!mine.some((s) => s.group === share.group && s.filter === share.filter)) mine.push(share);
    this.#byClient.set(clientId, mine);
    const key = keyOf(share);
    const members = this.#members.get(key) ?? [];
    if (!members.includes(clientId)) members.push(clientId);
    this.#members.set(key, members);
  }

  /** The client is gone: it leaves every group. */
  leave(clientId: string): void {
    for (const s of this.#byClient.get(clientId) ?? []) {
      const key = keyOf(s);
      const members = (this.#members.get(key) ?? []).filter((c) => c !== clientId);
      if (members.length === 0) this.#members.delete(key);
      else this.#members.set(key, members);
    }
    this.#byClient.delete(clientId);
  }

  /**
   * Whether a message on `topic` (the broker's `counter`-th) goes to `clientId`: yes unless
   * it reached the client through a shared subscription whose turn is another member's.
   */
  forwards(clientId: string, topic: string, counter: number): boolean {
    const mine = this.#byClient.get(clientId);
    if (mine === undefined) return true;
    for (const s of mine) {
      if (!topicMatches(s.filter, topic)) continue;
      const members = this.#members.get(keyOf(s)) ?? [];
      if (members[counter % members.length] === clientId) return true;
    }
    return !mine.some((s) => topicMatches(s.filter, topic));
  }

  get groups(): number {
    return this.#members.size;
  }
}

const keyOf = (s: Share): string => `${s.group}\u0000${s.filter}`;
