/**
 * An authorization refusal ends the operation at once as one AUTH_FAILED naming the principal and
 * the right it lacks, for every kafkajs client (producer, consumer, admin) made by createKafka.
 *
 * kafkajs already treats *_AUTHORIZATION_FAILED as not retriable (protocol/error.js), so a refused
 * call rejects within a round trip; what made a refused command look like a long retry was what
 * followed. An idempotent producer's `connect()` sends InitProducerId, and when that is refused the
 * client stays connected: its sockets and request timers hold the process open until something
 * kills it. And a refused FindCoordinator (a group or transactional id without ACL) is swallowed by
 * the broker pool (`withBroker`) and surfaces as "Failed to find group coordinator", naming
 * nothing. So this guard, without patching kafkajs:
 *   - closes any client whose `connect()` fails, so a failed command exits;
 *   - recovers a swallowed refusal from the client's own log of broker responses;
 *   - tells a consumer not to restart after a refusal (its `retry.restartOnFailure` hook) and hands
 *     the refusal of a running consumer, which kafkajs only emits as a CRASH event, to whoever
 *     watches with `onRefused` (the worker stops on it), logging it otherwise.
 */
import type { Admin, Consumer, ConsumerConfig, Kafka, Producer, ProducerConfig } from 'kafkajs';
import type { FmeaflowError } from '../../errors.ts';
import { logger } from '../observability/logger.ts';
import { authFailure } from './kafka-errors.ts';

const log = logger('kafka-auth');

/** kafkajs' texts of the refusals (protocol/error.js) → their error types. */
const REFUSAL_TEXTS: readonly [RegExp, string][] = [
  [/Not authorized to access topics/i, 'TOPIC_AUTHORIZATION_FAILED'],
  [/Not authorized to access group|Group authorization failed/i, 'GROUP_AUTHORIZATION_FAILED'],
  [/Transactional Id authorization failed/i, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
  [/Cluster authorization failed/i, 'CLUSTER_AUTHORIZATION_FAILED'],
];

type Missing = (type: string) => string | undefined;

function names(v: unknown): string {
  const list = (Array.isArray(v) ? v : [v]).map((x) => (x instanceof RegExp ? String(x) : typeof x === 'string' ? x : typeof x === 'object' && x !== null && 'topic' in x ? String((x as { topic: unknown }).topic) : '')).filter(Boolean);
  return [...new Set(list)].join(', ') || '(the topics asked for)';
}

/** The right an admin operation lacked, from what it was asked. */
function adminMissing(op: string, args: unknown[]): Missing {
  const a = (args[0] ?? {}) as Record<string, unknown>;
  const topics = names(typeof args[0] === 'string' ? args[0] : a.topics ?? a.topic);
  const group = typeof a.groupId === 'string' ? a.groupId : Array.isArray(args[0]) ? names(args[0]) : '(the group asked for)';
  return (type) => {
    if (type === 'TOPIC_AUTHORIZATION_FAILED') {
      const right = ({ createTopics: 'CREATE', createPartitions: 'ALTER', deleteTopics: 'DELETE', deleteTopicRecords: 'DELETE', alterConfigs: 'ALTER_CONFIGS', describeConfigs: 'DESCRIBE_CONFIGS' } as Record<string, string>)[op] ?? 'DESCRIBE';
      return `${right} on TOPIC ${topics}`;
    }
    if (type === 'GROUP_AUTHORIZATION_FAILED') return `${({ deleteGroups: 'DELETE', setOffsets: 'READ', resetOffsets: 'READ' } as Record<string, string>)[op] ?? 'DESCRIBE'} on GROUP ${group}`;
    if (type === 'CLUSTER_AUTHORIZATION_FAILED') return `${({ createTopics: 'CREATE', createAcls: 'ALTER', deleteAcls: 'ALTER' } as Record<string, string>)[op] ?? 'DESCRIBE'} on CLUSTER kafka-cluster`;
    return undefined;
  };
}

type AnyFn = (...args: unknown[]) => Promise<unknown>;

const guards = new WeakMap<Kafka, RefusalGuard>();

/** Calls `listener` when a running consumer of `kafka` is refused (kafkajs only emits that as a CRASH event); returns the unsubscribe. */
export function onRefused(kafka: Kafka, listener: (err: FmeaflowError) => void): () => void {
  return guards.get(kafka)?.onRefused(listener) ?? (() => undefined);
}

export class RefusalGuard {
  /** Broker refusals seen in this client's log, numbered so an operation sees only those after its start. */
  private seen = 0;
  private last: { type: string; api: string; at: number } | undefined;
  private readonly listeners = new Set<(err: FmeaflowError) => void>();

  constructor(private readonly principal: string | undefined) {}

  /** From the client's log creator: a broker response that carried an error. */
  noteResponse(message: string, fields: Record<string, unknown>): void {
    const api = /^Response (\w+)\(/.exec(message)?.[1];
    const error = fields.error;
    if (!api || typeof error !== 'string') return;
    const type = REFUSAL_TEXTS.find(([re]) => re.test(error))?.[1];
    if (type) this.last = { type, api, at: ++this.seen };
  }

  /** Calls `listener` with the AUTH_FAILED of a running consumer that was refused. */
  onRefused(listener: (err: FmeaflowError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The AUTH_FAILED that `err` is or hides (a refusal logged since `since`), else undefined. */
  refusal(err: unknown, since: number, missing: Missing): FmeaflowError | undefined {
    const ctx = { ...(this.principal ? { principal: this.principal } : {}), missing };
    const direct = authFailure(err, ctx);
    if (direct) return direct;
    const last = this.last;
    if (!last || last.at <= since) return undefined;
    return authFailure({ type: last.type, message: `${last.api} refused`, cause: err }, ctx);
  }

  /** Patches the client factories of `kafka` so every client they make is guarded. */
  install(kafka: Kafka): void {
    guards.set(kafka, this);
    const producer = kafka.producer.bind(kafka);
    const consumer = kafka.consumer.bind(kafka);
    const admin = kafka.admin.bind(kafka);
    kafka.producer = (cfg?: ProducerConfig) => this.producer(producer(cfg), cfg ?? {});
    kafka.consumer = (cfg: ConsumerConfig) => this.consumer(consumer({ ...cfg, retry: { retries: 5, ...cfg.retry, restartOnFailure: async (e: Error) => !authFailure(e) && (cfg.retry?.restartOnFailure?.(e) ?? true) } }), cfg);
    kafka.admin = (cfg) => this.admin(admin(cfg));
  }

  /** Wraps the async methods `ops` of `client`: refusals become AUTH_FAILED, and a failed connect closes the client. */
  private guard<T extends object>(client: T, ops: readonly string[], missing: (op: string, args: unknown[]) => Missing, after?: (op: string, result: unknown) => unknown): T {
    const c = client as unknown as Record<string, AnyFn>;
    // A transaction has no disconnect of its own (nor a connect).
    const disconnect = typeof c.disconnect === 'function' ? c.disconnect.bind(client) : async () => undefined;
    for (const op of ops) {
      const orig = c[op];
      if (typeof orig !== 'function') continue;
      c[op] = async (...args: unknown[]) => {
        const since = this.seen;
        try {
          const result = await orig.apply(client, args);
          return after ? after(op, result) : result;
        } catch (err) {
          if (op === 'connect') await disconnect().catch(() => undefined);
          throw this.refusal(err, since, missing(op, args)) ?? err;
        }
      };
    }
    return client;
  }

  private producer(p: Producer, cfg: ProducerConfig): Producer {
    const missing = (_op: string, args: unknown[]): Missing => (type) => {
      if (type === 'CLUSTER_AUTHORIZATION_FAILED') return 'IDEMPOTENT_WRITE on CLUSTER kafka-cluster';
      if (type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED') return `WRITE on TRANSACTIONAL_ID ${cfg.transactionalId ?? '(none set)'}`;
      if (type === 'TOPIC_AUTHORIZATION_FAILED') {
        const a = (args[0] ?? {}) as { topic?: string; topicMessages?: { topic: string }[] };
        return `WRITE on TOPIC ${names(a.topic ?? a.topicMessages ?? [])}`;
      }
      return undefined;
    };
    const sendOps = ['send', 'sendBatch', 'sendOffsets', 'commit', 'abort'];
    return this.guard(p, ['connect', 'send', 'sendBatch', 'transaction'], missing, (op, result) => (op === 'transaction' ? this.guard(result as object, sendOps, missing) : result));
  }

  private consumer(c: Consumer, cfg: ConsumerConfig): Consumer {
    let topics = '(the subscribed topics)';
    const subscribe = c.subscribe.bind(c);
    c.subscribe = (s) => {
      topics = names('topics' in s ? s.topics : s.topic);
      return subscribe(s);
    };
    const missing = (): Missing => (type) => (type === 'GROUP_AUTHORIZATION_FAILED' ? `READ on GROUP ${cfg.groupId}` : type === 'TOPIC_AUTHORIZATION_FAILED' ? `READ on TOPIC ${topics}` : undefined);
    let since = 0;
    c.on(c.events.CRASH, (e) => {
      const refused = this.refusal((e.payload as { error: unknown }).error, since, missing());
      if (!refused) return;
      if (this.listeners.size === 0) log.error('consumer refused by the broker; it has stopped', { group: cfg.groupId, err: refused.message });
      for (const l of this.listeners) l(refused);
    });
    const guarded = this.guard(c, ['connect', 'subscribe', 'run', 'commitOffsets', 'describeGroup'], missing);
    const run = guarded.run;
    guarded.run = (o) => {
      since = this.seen;
      return run(o);
    };
    return guarded;
  }

  private admin(a: Admin): Admin {
    const skip = new Set(['disconnect', 'on', 'logger', 'events']);
    const ops = Object.keys(a).filter((k) => !skip.has(k) && typeof (a as unknown as Record<string, unknown>)[k] === 'function');
    return this.guard(a, ops, adminMissing);
  }
}
