/**
 * The one connection configuration of every Kafka client (engine, producer, admin, CLI, tests,
 * benchmarks) and of every schema-registry request: security protocol, TLS and SASL for the
 * broker; basic/bearer auth and TLS for the registry.
 *
 * Read from a properties file in the form Kafka's own clients use (`FMEAFLOW_KAFKA_PROPERTIES`:
 * `security.protocol`, `ssl.truststore.location`, `sasl.mechanism`, `sasl.jaas.config`,
 * `schema.registry.url`, `basic.auth.user.info`, …) so an operator reuses the file they have, and
 * from the environment (which wins). Every secret may come from a file (`*_FILE`), is registered
 * with the redactor the moment it is read, and never appears in `describe()`.
 * Node reads PEM only: JKS/PKCS12 stores are refused with the command that converts them.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { parse as parseProperties } from 'dot-properties';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { redactUrl, registerSecret } from '../observability/redact.ts';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface OAuthClientCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
}

export type SaslSettings =
  | { readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'OAUTHBEARER'; readonly oauth: OAuthClientCredentials };

export interface TlsSettings {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly passphrase?: string;
  /** Server-name check (Kafka's `ssl.endpoint.identification.algorithm=https`); on unless explicitly turned off. */
  readonly checkServerName: boolean;
}

export interface KafkaSecurity {
  readonly protocol: SecurityProtocol;
  readonly tls?: TlsSettings;
  readonly sasl?: SaslSettings;
}

export interface RegistrySecurity {
  readonly url?: string;
  readonly basic?: { readonly username: string; readonly password: string };
  readonly bearerToken?: string;
  readonly tls?: Omit<TlsSettings, 'passphrase'> & { readonly passphrase?: string };
  /** `lookup`: never register schemas nor change compatibility (a managed registry); `register` (default). */
  readonly mode: 'register' | 'lookup';
}

export interface ConnectionConfig {
  readonly kafka: KafkaSecurity;
  readonly registry: RegistrySecurity;
  /** Where the settings came from, without a secret: for `stack status` and startup logs. */
  describe(): string;
}

function invalid(setting: string, why: string): FmeaflowError {
  return new FmeaflowError(ErrorCodes.BAD_CONFIG, `${setting}: ${why}`, { details: { setting } });
}

/** The settings as one lookup: environment name first, then the properties-file key. */
class Settings {
  constructor(private readonly env: NodeJS.ProcessEnv, private readonly props: Record<string, string>, private readonly propsFile: string | undefined) {}

  get(envName: string, propKey?: string): { value: string; source: string } | undefined {
    const e = this.env[envName];
    if (e !== undefined && e !== '') return { value: e, source: envName };
    if (propKey !== undefined && this.props[propKey] !== undefined) return { value: this.props[propKey]!, source: `${propKey} (${this.propsFile})` };
    return undefined;
  }

  /** A secret: `NAME`, the first line of the file `NAME_FILE`, or the properties key; registered with the redactor. */
  secret(envName: string, propKey?: string): { value: string; source: string } | undefined {
    const file = this.env[`${envName}_FILE`];
    let got: { value: string; source: string } | undefined;
    if (file) got = { value: readText(`${envName}_FILE`, file).split(/\r?\n/)[0]!.trim(), source: `${envName}_FILE` };
    else got = this.get(envName, propKey);
    registerSecret(got?.value);
    return got;
  }

  /** A PEM file's text, or the inline PEM of a properties key (`ssl.truststore.certificates`). */
  pem(envName: string, locationKey?: string, typeKey?: string, inlineKey?: string): string | undefined {
    const inline = inlineKey !== undefined ? this.props[inlineKey] : undefined;
    const loc = this.get(envName, locationKey);
    if (!loc) return inline;
    const type = typeKey ? this.props[typeKey] : undefined;
    if (type !== undefined && type.toUpperCase() !== 'PEM') throw invalid(typeKey!, `${type} stores cannot be read by Node.js; convert to PEM (keytool -exportcert -rfc, or openssl pkcs12 -nodes) and set ${typeKey}=PEM`);
    const text = readText(loc.source, loc.value);
    if (!text.includes('-----BEGIN ')) throw invalid(loc.source, `${loc.value} is not a PEM file (JKS/PKCS12 stores must be converted to PEM)`);
    return text;
  }
}

function readText(setting: string, file: string): string {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw invalid(setting, `${file} is not a file`);
    if (st.size > 1 << 20) throw invalid(setting, `${file} is larger than 1 MiB`);
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof FmeaflowError) throw err;
    throw invalid(setting, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * `sasl.jaas.config` in Kafka's form: `<LoginModule> required key="value" …;`. Only the options are
 * kept; the module says nothing the mechanism does not already say.
 */
export function parseJaasConfig(text: string, setting = 'sasl.jaas.config'): Record<string, string> {
  const m = /^\s*[A-Za-z0-9_.$]+\s+(required|requisite|sufficient|optional)(?:\s+([\s\S]*?))?\s*;?\s*$/.exec(text);
  if (!m) throw invalid(setting, 'expected "<LoginModule> required key=\\"value\\" …;"');
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s;"]+)\s*/gy;
  const body = (m[2] ?? '').trim();
  let pos = 0;
  while (pos < body.length) {
    re.lastIndex = pos;
    const opt = re.exec(body);
    if (!opt) throw invalid(setting, `cannot read the options after character ${pos} (key="value" pairs separated by spaces)`);
    out[opt[1]!] = opt[3] !== undefined ? opt[3].replace(/\\(.)/g, '$1') : opt[2]!;
    pos = re.lastIndex;
  }
  return out;
}

/** The properties file of FMEAFLOW_KAFKA_PROPERTIES, parsed (empty when unset). */
export function readPropertiesFile(env: NodeJS.ProcessEnv): { props: Record<string, string>; file: string | undefined } {
  const file = env.FMEAFLOW_KAFKA_PROPERTIES;
  if (!file) return { props: {}, file: undefined };
  const text = readText('FMEAFLOW_KAFKA_PROPERTIES', file);
  let props: Record<string, string>;
  try {
    props = parseProperties(text) as Record<string, string>;
  } catch (err) {
    throw invalid('FMEAFLOW_KAFKA_PROPERTIES', `${file} is not a properties file (${(err as Error).message.split('\n')[0]})`);
  }
  for (const [k, v] of Object.entries(props)) if (/password|secret|jaas|user\.info|token/i.test(k)) registerSecret(v);
  return { props, file };
}

function kafkaSecurity(s: Settings): KafkaSecurity {
  const proto = s.get('KAFKA_SECURITY_PROTOCOL', 'security.protocol');
  const protocol = (proto?.value.toUpperCase() ?? 'PLAINTEXT') as SecurityProtocol;
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) throw invalid(proto!.source, `"${proto!.value}" is not a security protocol; use one of ${SECURITY_PROTOCOLS.join(', ')}`);
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const usesSasl = protocol.startsWith('SASL_');

  const ca = s.pem('KAFKA_SSL_CA_FILE', 'ssl.truststore.location', 'ssl.truststore.type', 'ssl.truststore.certificates');
  const keystore = s.pem('KAFKA_SSL_CERT_FILE', 'ssl.keystore.location', 'ssl.keystore.type', 'ssl.keystore.certificate.chain');
  const key = s.pem('KAFKA_SSL_KEY_FILE', undefined, undefined, 'ssl.keystore.key') ?? (keystore?.includes('PRIVATE KEY-----') ? keystore : undefined);
  registerSecret(key);
  const passphrase = s.secret('KAFKA_SSL_KEY_PASSWORD', 'ssl.key.password')?.value;
  const ident = s.get('KAFKA_SSL_ENDPOINT_IDENTIFICATION', 'ssl.endpoint.identification.algorithm');
  if (ident && !['https', '', 'none'].includes(ident.value.toLowerCase())) throw invalid(ident.source, `"${ident.value}": use https (default, check the broker's name) or an empty value/none to turn the check off`);
  const checkServerName = !(ident && (ident.value === '' || ident.value.toLowerCase() === 'none'));
  if (!usesTls && (ca || keystore || key)) throw invalid(proto?.source ?? 'KAFKA_SECURITY_PROTOCOL', `TLS files are set but the protocol is ${protocol}; use SSL or SASL_SSL`);
  if (usesTls && keystore && !key) throw invalid('KAFKA_SSL_KEY_FILE', 'a client certificate is set without its private key');
  if (usesTls && key && !keystore) throw invalid('KAFKA_SSL_CERT_FILE', 'a private key is set without its client certificate');
  const tls: TlsSettings | undefined = usesTls ? { ...(ca ? { ca } : {}), ...(keystore ? { cert: keystore } : {}), ...(key ? { key } : {}), ...(passphrase ? { passphrase } : {}), checkServerName } : undefined;

  const mech = s.get('KAFKA_SASL_MECHANISM', 'sasl.mechanism');
  if (!usesSasl) {
    if (mech) throw invalid(mech.source, `a SASL mechanism is set but the protocol is ${protocol}; use SASL_SSL (or SASL_PLAINTEXT on a trusted network)`);
    return { protocol, ...(tls ? { tls } : {}) };
  }
  if (!mech) throw invalid('KAFKA_SASL_MECHANISM', `protocol ${protocol} needs a mechanism: ${SASL_MECHANISMS.join(', ')}`);
  const mechanism = mech.value.toUpperCase() as SaslMechanism;
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) throw invalid(mech.source, `"${mech.value}" is not supported; use one of ${SASL_MECHANISMS.join(', ')}`);
  const jaasRaw = s.secret('KAFKA_SASL_JAAS_CONFIG', 'sasl.jaas.config');
  const jaas = jaasRaw ? parseJaasConfig(jaasRaw.value, jaasRaw.source) : {};
  for (const v of Object.values(jaas)) registerSecret(v);
  if (mechanism === 'OAUTHBEARER') {
    const tokenUrl = s.get('KAFKA_SASL_OAUTH_TOKEN_URL', 'sasl.oauthbearer.token.endpoint.url')?.value;
    const clientId = s.get('KAFKA_SASL_OAUTH_CLIENT_ID')?.value ?? jaas.clientId;
    const clientSecret = s.secret('KAFKA_SASL_OAUTH_CLIENT_SECRET')?.value ?? jaas.clientSecret;
    const scope = s.get('KAFKA_SASL_OAUTH_SCOPE')?.value ?? jaas.scope;
    if (!tokenUrl) throw invalid('KAFKA_SASL_OAUTH_TOKEN_URL', 'OAUTHBEARER needs the token endpoint (sasl.oauthbearer.token.endpoint.url)');
    if (!/^https?:\/\//.test(tokenUrl)) throw invalid('KAFKA_SASL_OAUTH_TOKEN_URL', 'must be an http(s) URL');
    if (!clientId || !clientSecret) throw invalid('KAFKA_SASL_OAUTH_CLIENT_ID', 'OAUTHBEARER needs a client id and secret (KAFKA_SASL_OAUTH_CLIENT_ID/_SECRET or clientId/clientSecret in sasl.jaas.config)');
    return { protocol, ...(tls ? { tls } : {}), sasl: { mechanism, oauth: { tokenUrl, clientId, clientSecret, ...(scope ? { scope } : {}) } } };
  }
  const username = s.get('KAFKA_SASL_USERNAME')?.value ?? jaas.username;
  const password = s.secret('KAFKA_SASL_PASSWORD')?.value ?? jaas.password;
  if (!username) throw invalid('KAFKA_SASL_USERNAME', `${mechanism} needs a user name (KAFKA_SASL_USERNAME or username= in sasl.jaas.config)`);
  if (!password) throw invalid('KAFKA_SASL_PASSWORD', `${mechanism} needs a password (KAFKA_SASL_PASSWORD[_FILE] or password= in sasl.jaas.config)`);
  return { protocol, ...(tls ? { tls } : {}), sasl: { mechanism, username, password } };
}

/** `http://user:pass@host/…` → the URL without user info, and the credentials it carried. */
export function splitUserInfo(url: string): { url: string; basic?: { username: string; password: string } } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid('SCHEMA_REGISTRY_URL', `"${redactUrl(url).slice(0, 200)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('SCHEMA_REGISTRY_URL', 'must be an http(s) URL');
  if (!u.username && !u.password) return { url };
  const basic = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  registerSecret(basic.password);
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/$/, ''), basic };
}

function registrySecurity(s: Settings): RegistrySecurity {
  const rawUrl = s.get('SCHEMA_REGISTRY_URL', 'schema.registry.url');
  const split = rawUrl ? splitUserInfo(rawUrl.value) : undefined;
  const userInfo = s.secret('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO', 'basic.auth.user.info');
  const source = s.get('SCHEMA_REGISTRY_BASIC_AUTH_CREDENTIALS_SOURCE', 'basic.auth.credentials.source')?.value;
  if (source !== undefined && !['USER_INFO', 'URL'].includes(source.toUpperCase())) throw invalid('basic.auth.credentials.source', `"${source}": use USER_INFO (basic.auth.user.info) or URL`);
  let basic = split?.basic;
  if (userInfo) {
    const i = userInfo.value.indexOf(':');
    if (i <= 0) throw invalid(userInfo.source, 'expected "user:password"');
    basic = { username: userInfo.value.slice(0, i), password: userInfo.value.slice(i + 1) };
    registerSecret(basic.password);
  }
  const bearerToken = s.secret('SCHEMA_REGISTRY_BEARER_TOKEN', 'bearer.auth.token')?.value;
  if (basic && bearerToken) throw invalid('SCHEMA_REGISTRY_BEARER_TOKEN', 'set either basic auth or a bearer token for the registry, not both');
  const ca = s.pem('SCHEMA_REGISTRY_SSL_CA_FILE', 'schema.registry.ssl.truststore.location', 'schema.registry.ssl.truststore.type');
  const cert = s.pem('SCHEMA_REGISTRY_SSL_CERT_FILE', 'schema.registry.ssl.keystore.location', 'schema.registry.ssl.keystore.type');
  const key = s.pem('SCHEMA_REGISTRY_SSL_KEY_FILE') ?? (cert?.includes('PRIVATE KEY-----') ? cert : undefined);
  registerSecret(key);
  if (cert && !key) throw invalid('SCHEMA_REGISTRY_SSL_KEY_FILE', 'a client certificate is set without its private key');
  if ((ca || cert) && split && !split.url.startsWith('https:')) throw invalid('SCHEMA_REGISTRY_URL', 'TLS files are set for the registry but its URL is http://');
  const modeRaw = s.get('FMEAFLOW_REGISTRY_MODE')?.value ?? 'register';
  if (modeRaw !== 'register' && modeRaw !== 'lookup') throw invalid('FMEAFLOW_REGISTRY_MODE', `"${modeRaw}": use register (default) or lookup (a managed registry: ids are only looked up)`);
  return {
    ...(split ? { url: split.url } : {}),
    ...(basic ? { basic } : {}),
    ...(bearerToken ? { bearerToken } : {}),
    ...(ca || cert ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), checkServerName: true } } : {}),
    mode: modeRaw,
  };
}

/** Reads and validates the whole connection configuration; every problem is one CONFIG_INVALID naming the setting. */
export function loadConnectionConfig(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const { props, file } = readPropertiesFile(env);
  const s = new Settings(env, props, file);
  const kafka = kafkaSecurity(s);
  const registry = registrySecurity(s);
  return {
    kafka,
    registry,
    describe: () => [
      `kafka ${kafka.protocol}`,
      kafka.tls ? `tls(ca=${kafka.tls.ca ? 'set' : 'system'}, client-cert=${kafka.tls.cert ? 'set' : 'none'}, server-name-check=${kafka.tls.checkServerName ? 'on' : 'OFF'})` : '',
      kafka.sasl ? `sasl ${kafka.sasl.mechanism}${'username' in kafka.sasl ? ` as ${kafka.sasl.username}` : ` client ${kafka.sasl.oauth.clientId}`}` : '',
      `registry ${registry.url ?? '(default)'} auth=${registry.basic ? `basic as ${registry.basic.username}` : registry.bearerToken ? 'bearer' : 'none'} mode=${registry.mode}`,
      file ? `properties ${file}` : '',
    ].filter(Boolean).join(', '),
  };
}

let cached: { env: NodeJS.ProcessEnv; key: string; config: ConnectionConfig } | undefined;

/** The process's connection configuration, read once per distinct environment (tests change it). */
export function connectionConfig(env: NodeJS.ProcessEnv = process.env): ConnectionConfig {
  const keys = Object.keys(env).filter((k) => /^(KAFKA_|SCHEMA_REGISTRY_|FMEAFLOW_KAFKA_PROPERTIES|FMEAFLOW_REGISTRY_MODE)/.test(k)).sort();
  const key = keys.map((k) => `${k}=${env[k]}`).join('\u0000');
  if (cached && cached.env === env && cached.key === key) return cached.config;
  const config = loadConnectionConfig(env);
  cached = { env, key, config };
  return config;
}

/** Node TLS options for a client (`servername` is set per connection by the client). */
export function tlsOptions(t: TlsSettings): ConnectionOptions {
  return {
    ...(t.ca ? { ca: t.ca } : {}),
    ...(t.cert ? { cert: t.cert } : {}),
    ...(t.key ? { key: t.key } : {}),
    ...(t.passphrase ? { passphrase: t.passphrase } : {}),
    rejectUnauthorized: true,
    // Turning the name check off keeps the chain check: only the host name is not compared.
    ...(t.checkServerName ? {} : { checkServerIdentity: () => undefined }),
  };
}
