/**
 * A tiny structured logger: one JSON object per line on stderr, with a component name.
 * Level from `FMEAFLOW_LOG_LEVEL` (debug|info|warn|error|silent, default info).
 */
import { redactText, redactValue } from './redact.ts';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'silent'>;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function threshold(): number {
  const l = (process.env.FMEAFLOW_LOG_LEVEL ?? 'info').toLowerCase();
  return (LEVELS as Record<string, number>)[l] ?? LEVELS.info;
}

function errorFields(v: unknown): unknown {
  if (v instanceof Error) {
    const j = (v as { toJSON?: () => unknown }).toJSON;
    return typeof j === 'function' ? j.call(v) : { name: v.name, message: v.message };
  }
  return v;
}

/** A logger for one component; fields are merged into every line. */
export function logger(component: string, base: Record<string, unknown> = {}): Logger {
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[level] < threshold()) return;
    // Every line is redacted: a secret inside an error message or a URL must not reach a log collector.
    const line: Record<string, unknown> = { ts: new Date().toISOString(), level, component, msg: redactText(msg), ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) line[k] = redactValue(errorFields(v));
    process.stderr.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
