/**
 * The vocabulary of traffic: what devices do once connected (telemetry, commands and their
 * responses, extra subscribers), the message latency phases and the metric names.
 */

/** Latencies of messages, in the summary's `latency` beside the connect phases. */
export const MESSAGE_PHASES = ['publish_ack', 'delivery', 'command_rtt'] as const;
export type MessagePhase = (typeof MESSAGE_PHASES)[number];

export type Qos = 0 | 1 | 2;

/** A message written more than this after its intended send time counts `late`. */
export const LATE_MS = 100;

/** A traffic stream's counts (summary `messages[<stream name>]`). */
export interface StreamMessages {
  /** PUBLISHes sent (written to the socket) */
  published: number;
  /** QoS 1: PUBACKs; QoS 2: PUBCOMPs received for them */
  acked: number;
  /** deliveries received by every receiver of the stream (a fan-out of k counts k per message) */
  delivered: number;
  /** deliveries expected and never received (unique messages per receiver) */
  lost: number;
  /** deliveries received more than once */
  duplicated: number;
  /** deliveries received after a later message of the same publisher */
  out_of_order: number;
  /** messages sent later than their schedule allowed (the generator fell behind, or the broker held them back) */
  late: number;
  /**
   * of `late`: those on time when due that waited for the broker — its in-flight window full
   * (acknowledgements slow) or its socket not reading. The broker's pace, not the generator's.
   * Absent in summaries written before it was counted.
   */
  held_back?: number;
  /** payload bytes sent */
  bytes: number;
  /** the QoS its messages are published at (absent in summaries written before it was recorded) */
  qos?: Qos;
  /** QoS 1/2 messages sent but not acknowledged when the run ended */
  unacked?: number;
}

/** Prometheus names of the traffic families (prefix herd_, base units seconds). */
export const MESSAGE_METRIC = {
  published: 'herd_messages_published_total',
  received: 'herd_messages_received_total',
  lost: 'herd_messages_lost_total',
  duplicated: 'herd_messages_duplicated_total',
  publishAck: 'herd_publish_ack_duration_seconds',
  delivery: 'herd_message_delivery_duration_seconds',
  commandRtt: 'herd_command_rtt_seconds',
  bytes: 'herd_bytes_total',
} as const;
