/**
 * Why a capacity search stopped where it did, in words: what broke at the lowest failing
 * rate, and the evidence for what limited the broker there — failures by reason, a TCP
 * phase at the 1 s SYN retry (listen backlog), the broker process at its cores, the whole
 * machine busy, the phase that grew, attempts queueing behind the in-flight cap.
 */
import { explainReason } from '../report/explain/index.js';
import { ms, percent, rate as connectRate, rateNumber } from '../report/format.js';
import type { SearchResult } from './search.js';
import type { Capacity, CapacityFinding, CapacityStep, CapacityUnit } from '../model/capacity.js';
import { BUSY, cpuFindings, hostFinding, type RateWords } from './explain-machine.js';
import { messageEvidence } from './explain-messages.js';

/** A TCP connect this slow is a SYN retransmitted after the kernel's 1 s initial RTO. */
const SYN_RETRY_MS = 900;

type Phase = keyof CapacityStep['phases_p99'];
const PHASE_WORDS: Record<Phase, string> = {
  tcp: 'TCP connect',
  tls: 'TLS handshake',
  connack: 'CONNECT → CONNACK',
  subscribe: 'SUBSCRIBE → SUBACK',
};

/** A rate in the search's unit: 310/s for connects, 310 messages/s for messages. */
export function rateWords(unit: CapacityUnit | undefined): RateWords {
  return unit === 'messages/s' ? (r) => `${rateNumber(r)} messages/s` : (r) => connectRate(r);
}

export interface ExplainInput {
  result: SearchResult;
  steps: readonly CapacityStep[];
  config: Capacity['config'];
  maxRateAllowed: number;
  budgetMs: number;
  /** what the rates count (default connects/s) */
  unit?: CapacityUnit;
}

/** The step that shows the limit: the lowest rate that broke (the last one at it). */
function breakingStep(steps: readonly CapacityStep[], ceiling: number | null): CapacityStep | undefined {
  if (ceiling === null) return undefined;
  return steps.filter((s) => !s.ok && !s.saturated && s.rate === ceiling).at(-1);
}

/** The step that shows the rate that held: the longest hold at max_rate. */
function holdingStep(steps: readonly CapacityStep[], maxRate: number | null): CapacityStep | undefined {
  if (maxRate === null) return undefined;
  return steps.filter((s) => s.ok && s.rate === maxRate).sort((a, b) => b.duration_ms - a.duration_ms)[0];
}

export function explainCapacity(x: ExplainInput): { reason: string; findings: CapacityFinding[] } {
  const { result, steps } = x;
  const rate = rateWords(x.unit);
  const findings: CapacityFinding[] = [];
  const held = holdingStep(steps, result.maxRate);
  const heldText =
    result.maxRate === null
      ? ''
      : `${rate(result.maxRate)} held${held !== undefined && held.kind === 'confirm' ? ` a ${ms(held.duration_ms)} hold` : ''}`;
  let reason: string;
  switch (result.limitedBy) {
    case 'slo': {
      const b = breakingStep(steps, result.ceiling);
      if (b === undefined) reason = 'no rate held the SLOs';
      else if (result.maxRate === null)
        reason = `no rate held the SLOs: at ${rate(b.rate)}, the lowest tried, ${b.broke.join('; ')}`;
      else reason = `${heldText}; at ${rate(b.rate)} ${b.broke.join('; ')}`;
      if (b !== undefined)
        findings.push(
          ...(x.unit === 'messages/s' ? messageEvidence(b, held, x.config, rate) : evidence(b, held, x.config)),
        );
      if (!result.confirmed && result.maxRate !== null)
        findings.push({
          kind: 'budget',
          text: `${rate(result.maxRate)} was not confirmed by a longer hold (the budget ran out): treat it as an upper estimate`,
        });
      break;
    }
    case 'generator': {
      const s = steps.filter((t) => t.saturated).at(-1);
      const where = s === undefined ? '' : ` at ${rate(s.rate)}`;
      reason = `the load generator saturated${where} before the broker broke, so the broker sustains at least ${rate(result.maxRate ?? 0)}`;
      if (s !== undefined) {
        findings.push({
          kind: 'generator',
          text: `generator saturated at ${rate(s.rate)}: ${s.saturation_reasons.join('; ') || 'no reason recorded'}`,
        });
        if (s.host_cpu !== null && s.host_cpu >= BUSY) findings.push(hostFinding(s, rate));
      }
      findings.push({
        kind: 'generator',
        text: 'to find the broker’s own knee, run the generator on more or other machines (shards) than the broker',
      });
      break;
    }
    case 'max_rate':
      reason =
        `every step up to the maximum rate ${rate(x.maxRateAllowed)} held: ` +
        'the broker sustains at least that (raise --max-rate to look further)';
      findings.push({ kind: 'max_rate', text: reason });
      break;
    case 'budget':
      reason =
        `the time budget (${ms(x.budgetMs)}) ran out before any SLO broke: ` +
        `the broker sustains at least ${rate(result.maxRate ?? 0)} (raise --budget to look further)`;
      findings.push({ kind: 'budget', text: reason });
      break;
    case 'insecure': {
      const s = steps.at(-1);
      reason = `the broker accepted a credential it must reject${s === undefined ? '' : ` at ${rate(s.rate)}`}; the search stopped there`;
      findings.push({ kind: 'insecure', text: reason });
      break;
    }
    case 'interrupted':
      reason = `stopped by the user; ${result.maxRate === null ? 'no rate held yet' : `the broker sustained at least ${rate(result.maxRate)}`}`;
      break;
  }
  return { reason, findings };
}

/** Evidence, strongest first, of what limited the broker at step b (against step a that held). */
function evidence(b: CapacityStep, a: CapacityStep | undefined, config: Capacity['config']): CapacityFinding[] {
  const out: CapacityFinding[] = [];
  const finished = b.connected + b.failed;
  const top = Object.entries(b.failures).sort((p, q) => q[1] - p[1]);
  if (b.failed > 0 && finished > 0 && b.failed / finished >= 0.001) {
    const list = top
      .slice(0, 3)
      .map(([r, n]) => `${r} ${n} (${explainReason(r).title.toLowerCase()})`)
      .join(', ');
    out.push({
      kind: 'failures',
      text: `${percent(b.failed / finished)} of attempts failed at ${connectRate(b.rate)}: ${list}`,
    });
  }
  const tcp = b.phases_p99.tcp;
  if (tcp !== null && tcp >= SYN_RETRY_MS && (a?.phases_p99.tcp ?? 0) < SYN_RETRY_MS / 2) {
    const before = a === undefined ? '' : ` (${ms(a.phases_p99.tcp)} at ${connectRate(a.rate)})`;
    out.push({
      kind: 'listen_backlog',
      text:
        `TCP connect p99 was ${ms(tcp)} at ${connectRate(b.rate)}${before}: SYNs were dropped and retried after 1 s, ` +
        "so the broker's listen backlog overflowed (mosquitto listens with a backlog of 100). " +
        `Lower --in-flight (${config.in_flight}) or raise the broker's backlog and net.core.somaxconn`,
    });
  }
  out.push(...cpuFindings(b, config, connectRate, 'the connect path (TLS handshakes above all)'));
  const grown = growth(b, a);
  if (grown !== undefined) out.push({ kind: 'phase', text: grown });
  const phases = Object.values(b.phases_p99).reduce<number>((s, v) => s + (v ?? 0), 0);
  if (b.p99 !== null && b.p99 > 2 * phases && b.p99 - phases > 50) {
    out.push({
      kind: 'queueing',
      text:
        `end-to-end p99 ${ms(b.p99)} against ${ms(phases)} for the phases themselves: ` +
        `attempts waited for one of the ${config.in_flight} in-flight slots (--in-flight) ` +
        `because the broker completed ${connectRate(round1(b.achieved))} of ${connectRate(b.rate)} scheduled`,
    });
  } else if (b.achieved < 0.9 * b.rate) {
    out.push({
      kind: 'queueing',
      text: `the broker completed ${connectRate(round1(b.achieved))} of ${connectRate(b.rate)} scheduled`,
    });
  }
  return out;
}

/** The phase whose p99 grew the most from the step that held to the one that broke. */
function growth(b: CapacityStep, a: CapacityStep | undefined): string | undefined {
  if (a === undefined) return undefined;
  let best: { phase: Phase; by: number } | undefined;
  for (const phase of Object.keys(PHASE_WORDS) as Phase[]) {
    const before = a.phases_p99[phase];
    const after = b.phases_p99[phase];
    if (before === null || after === null) continue;
    if (best === undefined || after - before > best.by) best = { phase, by: after - before };
  }
  if (best === undefined || best.by <= 0) return undefined;
  const p = best.phase;
  return `${PHASE_WORDS[p]} grew the most: p99 ${ms(a.phases_p99[p])} at ${connectRate(a.rate)} → ${ms(b.phases_p99[p])} at ${connectRate(b.rate)}`;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
