/**
 * What every HTTP endpoint of fmeaflow (/metrics, the live view) checks before it answers.
 *
 * - Host allow-list: a page on another origin can make a browser resolve its own name to 127.0.0.1
 *   (DNS rebinding) and then read a loopback endpoint as same-origin. Only requests naming a host we
 *   serve under are answered: the loopback names, IP literals, the bound address, and any names the
 *   operator adds (FMEAFLOW_HTTP_ALLOWED_HOSTS).
 * - Security headers on every answer: a restrictive CSP, `nosniff`, no framing, no referrer.
 * - An optional bearer token: required on the data endpoints when set, so a view bound beyond
 *   loopback is not open to everyone who can reach the port.
 * - Only GET/HEAD, short URLs: nothing here takes a body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

export interface HttpGuardOptions {
  /** The address the server binds to; a loopback address keeps the loopback names only. */
  readonly bindHost: string;
  /** Further Host names (no port) the server is reached under, e.g. a container's service name. */
  readonly allowedHosts?: readonly string[];
  /** Bearer token the data endpoints require; undefined = none required. */
  readonly token?: string;
  /** Content-Security-Policy of HTML answers (the default denies everything but same-origin fetches). */
  readonly contentSecurityPolicy?: string;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1', '[::1]'];
/** A request line longer than this is refused: our endpoints take no parameters worth that much. */
const MAX_URL_LENGTH = 2048;

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

export const DEFAULT_CSP = "default-src 'none'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** True when `host` names this machine's loopback interface. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * An address rather than a name. Rebinding needs a name the attacker's DNS answers for, so an IP literal
 * in Host is always safe to serve; Prometheus scrapes discovered targets by address.
 */
export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || /^\[[0-9a-f:.]+\]$/.test(host);
}

/** The host part of a Host header (port and brackets handled), lower-cased; undefined when malformed. */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined || header.length === 0 || header.length > 255) return undefined;
  const h = header.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
  return m ? m[1]! : undefined;
}

/** CSP sources for the inline `<script>` blocks of a page: their sha256 hashes, so no other script runs. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`);
}

/**
 * The CSP of a self-contained page: its own inline scripts, fetches to its origin, nothing else.
 * Styles may be inline (charts set them per element); a style cannot run code, scripts can.
 */
export function pagePolicy(html: string): string {
  const scripts = inlineScriptHashes(html);
  return [
    "default-src 'none'",
    `script-src ${scripts.join(' ') || "'none'"}`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The token an endpoint requires: `FMEAFLOW_HTTP_TOKEN`, or the first line of the file named by
 * `FMEAFLOW_HTTP_TOKEN_FILE` (so it need not sit in the environment of every process listing).
 */
export function httpTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FMEAFLOW_HTTP_TOKEN_FILE) {
    let text: string;
    try {
      text = fs.readFileSync(env.FMEAFLOW_HTTP_TOKEN_FILE, 'utf8');
    } catch (err) {
      throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `FMEAFLOW_HTTP_TOKEN_FILE: cannot read the token file (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { details: { variable: 'FMEAFLOW_HTTP_TOKEN_FILE' } });
    }
    const token = text.split(/\r?\n/)[0]!.trim();
    if (token.length < 16) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, 'FMEAFLOW_HTTP_TOKEN_FILE: the token must be at least 16 characters', { details: { variable: 'FMEAFLOW_HTTP_TOKEN_FILE' } });
    return token;
  }
  const t = env.FMEAFLOW_HTTP_TOKEN;
  if (t === undefined || t === '') return undefined;
  if (t.length < 16) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, 'FMEAFLOW_HTTP_TOKEN: the token must be at least 16 characters', { details: { variable: 'FMEAFLOW_HTTP_TOKEN' } });
  return t;
}

/** Host names from `FMEAFLOW_HTTP_ALLOWED_HOSTS` (comma-separated), e.g. `engine,fmeaflow.example.com`. */
export function allowedHostsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.FMEAFLOW_HTTP_ALLOWED_HOSTS ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

export type GuardVerdict = { ok: true } | { ok: false; status: number; reason: string };

export class HttpGuard {
  private readonly hosts: Set<string>;
  private readonly token: Buffer | undefined;
  readonly contentSecurityPolicy: string;

  constructor(readonly options: HttpGuardOptions) {
    const bind = options.bindHost.toLowerCase();
    this.hosts = new Set([...LOOPBACK_NAMES, ...(options.allowedHosts ?? []).map((h) => h.toLowerCase())]);
    // A wildcard bind has no name of its own: the operator names the hosts it is reached under.
    if (bind !== '0.0.0.0' && bind !== '::' && bind !== '') this.hosts.add(bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind);
    this.token = options.token === undefined ? undefined : Buffer.from(options.token, 'utf8');
    this.contentSecurityPolicy = options.contentSecurityPolicy ?? DEFAULT_CSP;
  }

  /** Whether the request may be answered at all (method, URL length, Host); `needsToken` also checks the bearer token. */
  check(req: IncomingMessage, needsToken: boolean): GuardVerdict {
    if (req.method !== 'GET' && req.method !== 'HEAD') return { ok: false, status: 405, reason: 'method not allowed' };
    if ((req.url ?? '').length > MAX_URL_LENGTH) return { ok: false, status: 414, reason: 'URI too long' };
    const host = hostOf(req.headers.host);
    if (host === undefined || !(this.hosts.has(host) || isIpLiteral(host))) return { ok: false, status: 421, reason: 'unknown host' };
    if (needsToken && this.token !== undefined && !this.tokenMatches(req.headers.authorization)) return { ok: false, status: 401, reason: 'bearer token required' };
    return { ok: true };
  }

  private tokenMatches(header: string | undefined): boolean {
    const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? '');
    if (!m) return false;
    const given = Buffer.from(m[1]!, 'utf8');
    return given.length === this.token!.length && timingSafeEqual(given, this.token!);
  }

  /** Headers every answer carries; `html` adds the page's CSP. */
  headers(contentType: string, html = false): Record<string, string> {
    return { ...BASE_HEADERS, 'content-type': contentType, ...(html ? { 'content-security-policy': this.contentSecurityPolicy } : {}) };
  }

  /** Answers a refused request; the reason is ours, nothing of the request is echoed. */
  refuse(res: ServerResponse, verdict: Extract<GuardVerdict, { ok: false }>): void {
    const extra: Record<string, string> = verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : verdict.status === 405 ? { allow: 'GET, HEAD' } : {};
    res.writeHead(verdict.status, { ...this.headers('text/plain; charset=utf-8'), ...extra }).end(`${verdict.reason}\n`);
  }
}
