/**
 * HTTP to the schema registry with the configured security on every request: basic auth or a
 * bearer token, and TLS with a private CA and client certificate. node:http(s) rather than the
 * global fetch, because only an Agent can carry a private CA and a client certificate.
 * No header value or URL user info ever reaches an error message.
 */
import http from 'node:http';
import https from 'node:https';
import type { RegistrySecurity } from '../kafka/connection-config.ts';
import { tlsOptions } from '../kafka/connection-config.ts';

const TIMEOUT_MS = 10_000;
/** An answer larger than this is not a schema-registry answer (schemas are a few KB). */
const MAX_BODY_BYTES = 8 << 20;

export interface RegistryAnswer {
  readonly status: number;
  readonly text: string;
}

/** Auth headers of the configured registry security. */
export function registryAuthHeaders(sec: RegistrySecurity): Record<string, string> {
  if (sec.basic) return { authorization: `Basic ${Buffer.from(`${sec.basic.username}:${sec.basic.password}`).toString('base64')}` };
  if (sec.bearerToken) return { authorization: `Bearer ${sec.bearerToken}` };
  return {};
}

/** The Agent of the configured TLS settings (undefined for plain http or the system CAs). */
export function registryAgent(url: string, sec: RegistrySecurity): http.Agent | undefined {
  if (!url.startsWith('https:')) return new http.Agent({ keepAlive: true });
  return new https.Agent({ keepAlive: true, ...(sec.tls ? tlsOptions({ ...sec.tls, checkServerName: true }) : {}) });
}

export class RegistryHttp {
  private readonly agent: http.Agent | undefined;
  private readonly headers: Record<string, string>;

  constructor(readonly baseUrl: string, readonly security: RegistrySecurity) {
    this.agent = registryAgent(baseUrl, security);
    this.headers = registryAuthHeaders(security);
  }

  /** One request; rejects only when no answer came (network, TLS, timeout), with the cause's code. */
  request(method: string, path: string, body?: string, timeoutMs = TIMEOUT_MS): Promise<RegistryAnswer> {
    const url = new URL(this.baseUrl + path);
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(url, {
        method,
        agent: this.agent,
        timeout: timeoutMs,
        headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', ...this.headers, ...(body !== undefined ? { 'content-type': 'application/vnd.schemaregistry.v1+json', 'content-length': Buffer.byteLength(body) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) req.destroy(Object.assign(new Error('registry answer too large'), { code: 'ERESPONSETOOLARGE' }));
          else chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('registry request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }
}
