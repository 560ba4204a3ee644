/**
 * What a summary's counts must satisfy, whatever the run did. A violation is a bug in herd,
 * not in the broker: `herd run` still writes its results, says so, and exits 1.
 *
 *   attempted ≥ connected + failed + rejected_as_expected + accepted_unexpectedly
 *     (equal unless the run was interrupted with attempts still in flight)
 *   failed = the failures outside the session phase, added up; each reason ≤ failed
 *   session_drops = the session-phase failures, added up; ≤ dropped; ≤ connected
 *   connect latency count = connected (one end-to-end value per established connection)
 *   CONNACKs timed ≥ connected + accepted_unexpectedly (a CONNACK came before each of them)
 *   0 ≤ active_peak ≤ connected
 *   the security outcomes add up to rejected_as_expected and accepted_unexpectedly
 */
import { ExitCode, HerdError } from '../errors.js';
import type { Summary } from '../model/summary.js';

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export function countProblems(s: Summary): string[] {
  const c = s.counts;
  const p: string[] = [];
  const ended = c.connected + c.failed + c.rejected_as_expected + c.accepted_unexpectedly;
  if (ended > c.attempted)
    p.push(`${ended} attempts ended (connected, failed, rejected, accepted) of ${c.attempted} attempted`);
  if (ended !== c.attempted && s.run.interrupted !== true)
    p.push(
      `${c.attempted - ended} of ${c.attempted} attempts neither connected nor failed, in a run that was not interrupted`,
    );
  const attemptFailures = s.failures.filter((f) => f.phase !== 'session');
  const failed = sum(attemptFailures.map((f) => f.count));
  if (failed !== c.failed) p.push(`failed is ${c.failed}, the failures by reason add up to ${failed}`);
  for (const f of attemptFailures)
    if (f.count > c.failed) p.push(`${f.reason} counts ${f.count}, more than the ${c.failed} failed attempts`);
  const drops = sum(s.failures.filter((f) => f.phase === 'session').map((f) => f.count));
  if (drops !== c.session_drops) p.push(`session_drops is ${c.session_drops}, the session failures add up to ${drops}`);
  if (c.session_drops > c.dropped)
    p.push(`${c.session_drops} sessions dropped by the broker, ${c.dropped} dropped in all`);
  if (c.session_drops > c.connected) p.push(`${c.session_drops} sessions dropped, ${c.connected} established`);
  if (s.latency.connect.count !== c.connected)
    p.push(`${s.latency.connect.count} end-to-end connect times for ${c.connected} connections`);
  if (s.latency.connack.count < c.connected + c.accepted_unexpectedly)
    p.push(
      `${s.latency.connack.count} CONNACKs timed, fewer than the ${c.connected + c.accepted_unexpectedly} accepted`,
    );
  if (c.active_peak < 0 || c.active_peak > c.connected)
    p.push(`active peak ${c.active_peak} outside 0..${c.connected} (the connections established)`);
  const rejected = sum(s.security.map((x) => x.rejected));
  const accepted = sum(s.security.map((x) => x.accepted));
  if (rejected !== c.rejected_as_expected)
    p.push(`rejected_as_expected is ${c.rejected_as_expected}, the faults add up to ${rejected}`);
  if (accepted !== c.accepted_unexpectedly)
    p.push(`accepted_unexpectedly is ${c.accepted_unexpectedly}, the faults add up to ${accepted}`);
  return p;
}

/** Counts that do not add up are a bug of ours: said once the results are safe on disk (exit 1). */
export function assertCounts(summary: Summary): void {
  const problems = countProblems(summary);
  if (problems.length === 0) return;
  throw new HerdError(
    'HERD_COUNTS',
    `the summary's counts do not add up, a bug in herd (the results were written): ${problems.join('; ')}`,
    ExitCode.internal,
  );
}
