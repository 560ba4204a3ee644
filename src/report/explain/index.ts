/**
 * Every failure reason in plain words: what happened, the likely cause and the fix, for
 * people reading a report who never ran the tool. Covers the closed list of
 * src/model/names.ts, the `tls_alert_<name>` family (every alert of the IANA registry),
 * the `connack_<name>` family (MQTT 3.1.1 codes 1–5 and MQTT 5 reason codes), the same
 * names as `disconnect_<name>`, the WebSocket families `ws_rejected_<status>` and
 * `ws_closed_<code>`, and the driver's proposed reasons. An unknown member of a
 * family gets the family's explanation; anything else a generic one (never an exception).
 * The texts are in fixed.ts, tls-alerts.ts, mqtt-codes.ts and websocket.ts.
 */

export interface Explanation {
  reason: string;
  /** what happened, in a few words */
  title: string;
  /** the likely cause (may quote the error text people search for) */
  cause: string;
  /** what to change */
  fix: string;
  /** false when no specific entry exists and a family or generic text was used */
  specific: boolean;
}
import type { Entry } from './entry.js';
import { FIXED } from './fixed.js';
import { CONNACK } from './mqtt-codes.js';
import { ALERTS } from './tls-alerts.js';
import { wsClosed, wsRejected } from './websocket.js';

function make(reason: string, e: Entry, specific: boolean): Explanation {
  return { reason, title: e[0], cause: e[1], fix: e[2], specific };
}

/** The plain-words explanation of a failure reason. */
export function explainReason(reason: string): Explanation {
  const fixed = FIXED[reason];
  if (fixed !== undefined) return make(reason, fixed, true);
  if (reason.startsWith('tls_alert_')) {
    const name = reason.slice('tls_alert_'.length);
    const e = ALERTS[name];
    if (e !== undefined)
      return make(
        reason,
        [`TLS alert from the broker: ${e[0].charAt(0).toLowerCase()}${e[0].slice(1)}`, e[1], e[2]],
        true,
      );
    return make(
      reason,
      [
        `The broker sent TLS alert "${name}"`,
        'The broker aborted the handshake with this alert.',
        'Read the broker log at that moment for the detailed error.',
      ],
      false,
    );
  }
  const ws = /^ws_(rejected|closed)_(\d+)$/.exec(reason);
  if (ws !== null) {
    const [e, specific] = ws[1] === 'rejected' ? wsRejected(ws[2]!) : wsClosed(ws[2]!);
    return make(reason, e, specific);
  }
  const family = /^(connack|disconnect)_(.+)$/.exec(reason);
  if (family !== null) {
    const [, kind, name = ''] = family;
    const e = CONNACK[name];
    const where = kind === 'connack' ? 'CONNACK' : 'DISCONNECT during the session';
    if (e !== undefined) return make(reason, [`${e[0]} (${where})`, e[1], e[2]], true);
    return make(
      reason,
      [
        `The broker answered with ${where} code ${name.replace(/^code_/, '')}`,
        'A reason code this report has no text for.',
        'Look the code up in the MQTT specification and the broker log.',
      ],
      false,
    );
  }
  return make(
    reason,
    [reason.replace(/_/g, ' '), 'No explanation is recorded for this reason.', 'Read the broker log at that moment.'],
    false,
  );
}
