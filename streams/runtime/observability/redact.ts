/**
 * The one redaction every outward text passes through: log lines, CLI error lines, DLQ error
 * messages and status output. Secrets reach us from the connection configuration (passwords,
 * tokens, registry user info) and, carelessly, inside URLs; neither may leave the process.
 *
 * Known secrets are registered by the configuration loader when it reads them; anything shaped
 * like URL user info (`scheme://user:pass@host`) or an Authorization value is masked whatever it is.
 */

const MASK = '***';
const secrets = new Set<string>();

/** Remembers a secret so every later redaction masks it (short values would mask ordinary words, so they are refused). */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 4) secrets.add(value);
}

/** `scheme://user:pass@host/…` → `scheme://***@host/…`; also bare `user:pass@host` after a scheme-less `//`. */
export function redactUrl(url: string): string {
  return url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s"']*@/gi, `$1${MASK}@`);
}

/** Masks every registered secret, URL user info and Authorization/credential values in a text. */
export function redactText(text: string): string {
  let out = redactUrl(text);
  out = out.replace(/\b(authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)(basic|bearer)\s+[A-Za-z0-9+/=._~-]+/gi, `$1$2$3 ${MASK}`);
  out = out.replace(/\b(password|passwd|secret|token|user\.info|client_secret)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&}]+)/gi, `$1$2${MASK}`);
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
  return out;
}

/** Deep copy of a log field with every string redacted (errors become their redacted name and message). */
export function redactValue(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v === null || typeof v !== 'object' || depth > 6) return v;
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = /^(password|secret|token|authorization|userinfo|sasl)$/i.test(k) ? MASK : redactValue(x, depth + 1);
  return out;
}
