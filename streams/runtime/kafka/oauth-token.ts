/**
 * OAUTHBEARER tokens by the client-credentials grant (RFC 6749 §4.4), cached and fetched again
 * before they expire, so a long-running worker's re-authentication never presents a dead token.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { OAuthClientCredentials } from './connection-config.ts';

/** Refresh when this share of the token's lifetime is left (and at least a minute before expiry). */
const REFRESH_AT_REMAINING = 0.2;
const TOKEN_TIMEOUT_MS = 10_000;
/** A token endpoint's answer larger than this is not a token response. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface OAuthToken {
  readonly value: string;
  readonly expiresAtMs: number;
}

/** A provider as kafkajs' `oauthBearerProvider` wants it; `now` is injectable so refresh timing is testable. */
export function oauthTokenProvider(c: OAuthClientCredentials, now: () => number = Date.now): () => Promise<{ value: string }> {
  let current: OAuthToken | undefined;
  let refreshAtMs = 0;
  let inFlight: Promise<OAuthToken> | undefined;
  return async () => {
    if (current && now() < refreshAtMs) return { value: current.value };
    inFlight ??= fetchToken(c, now).finally(() => (inFlight = undefined));
    const t = await inFlight;
    const life = t.expiresAtMs - now();
    current = t;
    refreshAtMs = t.expiresAtMs - Math.max(60_000, life * REFRESH_AT_REMAINING);
    return { value: t.value };
  };
}

async function fetchToken(c: OAuthClientCredentials, now: () => number): Promise<OAuthToken> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(c.scope ? { scope: c.scope } : {}) });
  const basic = Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64');
  let res: Response;
  try {
    res = await fetch(c.tokenUrl, { method: 'POST', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body, signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
  } catch (err) {
    throw new FmeaflowError(ErrorCodes.AUTH_FAILED, `OAuth token endpoint ${new URL(c.tokenUrl).origin} did not answer (${(err as Error).name})`, { retriable: true });
  }
  const text = await res.text();
  if (!res.ok) {
    // 4xx: wrong client or scope, a retry cannot help; 5xx: the endpoint may recover.
    throw new FmeaflowError(ErrorCodes.AUTH_FAILED, `OAuth token endpoint ${new URL(c.tokenUrl).origin} refused client ${c.clientId}: HTTP ${res.status}`, { retriable: res.status >= 500 });
  }
  let json: { access_token?: unknown; expires_in?: unknown };
  try {
    if (text.length > MAX_RESPONSE_BYTES) throw new Error('too large');
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new FmeaflowError(ErrorCodes.AUTH_FAILED, `OAuth token endpoint ${new URL(c.tokenUrl).origin} answered something that is not a token response`, { retriable: false });
  }
  if (typeof json.access_token !== 'string' || json.access_token.length === 0) throw new FmeaflowError(ErrorCodes.AUTH_FAILED, `OAuth token endpoint ${new URL(c.tokenUrl).origin} answered without access_token`, { retriable: false });
  const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 300;
  return { value: json.access_token, expiresAtMs: now() + expiresIn * 1000 };
}
