import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

// No Docker engine runs here, so these tests check what can be checked without one: the files
// parse, reference files that exist, and run only CLI commands and options that really exist.

const composeFile = path.join(PROJECT_ROOT, 'docker', 'compose.yml');

function cliHelp(args: string[]): string {
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), ...args, '--help'], { encoding: 'utf8', cwd: PROJECT_ROOT });
  assert.equal(res.status, 0, `fmeaflow ${args.join(' ')} --help failed: ${res.stderr}`);
  return res.stdout;
}

test('compose file parses and every fmeaflow service runs an existing CLI command with existing options', () => {
  const doc = YAML.parse(fs.readFileSync(composeFile, 'utf8')) as { services: Record<string, { image?: string; build?: unknown; command?: string[]; volumes?: string[] }> };
  const ours = Object.entries(doc.services).filter(([, s]) => s.build !== undefined || s.image?.startsWith('fmeaflow'));
  assert.ok(ours.length >= 3, 'init, engine and replay services use the project image');
  for (const [name, svc] of ours) {
    assert.ok(Array.isArray(svc.command) && svc.command.length > 0, `${name} has an explicit command`);
    const [cmd, ...rest] = svc.command!;
    // `rules publish …`: the options belong to the subcommand, so read its help.
    const sub = rest[0] !== undefined && !rest[0].startsWith('--') && new RegExp(`^\\s+${rest[0]}\\b`, 'm').test(cliHelp([cmd!])) ? [rest[0]] : [];
    const help = cliHelp([cmd!, ...sub]);
    for (const opt of rest.filter((a) => a.startsWith('--'))) assert.ok(help.includes(opt), `${name}: option ${opt} of "fmeaflow ${cmd}" exists`);
  }
});

test('compose publishes the FMEA rules before the engines and the replay start, and Prometheus scrapes the ports they serve', () => {
  type Svc = { command?: string[]; depends_on?: Record<string, { condition: string }> };
  const doc = YAML.parse(fs.readFileSync(composeFile, 'utf8')) as { services: Record<string, Svc> };
  // fmea-evaluate reads worksheets only from fmea.rules.v1: without a publication no action can ever appear.
  const publisher = Object.entries(doc.services).find(([, s]) => s.command?.[0] === 'rules' && s.command[1] === 'publish');
  assert.ok(publisher, 'a service runs `rules publish`');
  for (const name of ['engine', 'replay']) {
    assert.equal(doc.services[name]!.depends_on?.[publisher[0]]?.condition, 'service_completed_successfully', `${name} waits for the rules`);
  }
  const prom = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker', 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[] };
  for (const sd of prom.scrape_configs.flatMap((c) => c.dns_sd_configs)) {
    const cmd = doc.services[sd.names[0]!]!.command ?? [];
    assert.equal(cmd[cmd.indexOf('--metrics-port') + 1], String(sd.port), `${sd.names[0]} serves /metrics on the port Prometheus scrapes`);
  }
});

test('compose mounts and provisioning files exist', () => {
  const doc = YAML.parse(fs.readFileSync(composeFile, 'utf8')) as { services: Record<string, { volumes?: string[] }> };
  for (const [name, svc] of Object.entries(doc.services)) {
    for (const v of svc.volumes ?? []) {
      const host = v.split(':')[0]!.replace(/\$\{[A-Z_]+:-([^}]+)\}/, '$1');
      if (!host.startsWith('.')) continue; // named volume
      assert.ok(fs.existsSync(path.resolve(PROJECT_ROOT, 'docker', host)), `${name}: ${host} exists`);
    }
  }
  const dash = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'docker', 'grafana', 'dashboards', 'fmeaflow.json'), 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  assert.ok(dash.panels.length >= 8);
  // Every metric the dashboard queries must be one the engine exports.
  const metricsSource = fs.readFileSync(path.join(PROJECT_ROOT, 'streams', 'runtime', 'observability', 'metrics.ts'), 'utf8');
  for (const expr of dash.panels.flatMap((p) => p.targets.map((t) => t.expr))) {
    for (const m of expr.match(/fmeaflow_[a-z_]+/g) ?? []) assert.ok(metricsSource.includes(`'${m.replace(/_bucket$/, '')}'`), `dashboard metric ${m} is exported`);
  }
});

test('the Dockerfile copies only paths that exist and runs the CLI entry point', () => {
  const text = fs.readFileSync(path.join(PROJECT_ROOT, 'docker', 'Dockerfile'), 'utf8');
  const known = new Set(['FROM', 'WORKDIR', 'ENV', 'COPY', 'RUN', 'USER', 'EXPOSE', 'ENTRYPOINT', 'CMD', 'ARG', 'LABEL']);
  const logical = text.replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  for (const line of logical) {
    const instr = line.trim().split(/\s+/)[0]!;
    assert.ok(known.has(instr), `known instruction: ${instr}`);
    if (instr === 'COPY') for (const src of line.trim().split(/\s+/).slice(1, -1)) assert.ok(fs.existsSync(path.join(PROJECT_ROOT, src)), `COPY source ${src} exists`);
  }
  assert.match(text, /ENTRYPOINT \["npx", "tsx", "streams\/cli.ts"\]/);
});

test('compose is operator-safe: persistent registry, no default Grafana login, health-checked engines with an init process, loopback-only host ports', () => {
  type Svc = { image?: string; build?: unknown; environment?: Record<string, string> | string[]; env_file?: string[]; volumes?: string[]; healthcheck?: { test: string[] }; init?: boolean; ports?: string[]; command?: string[] };
  const doc = YAML.parse(fs.readFileSync(composeFile, 'utf8'), { merge: true }) as { services: Record<string, Svc>; volumes: Record<string, unknown> };
  const env = (s: Svc): Record<string, string> => (Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => e.split('='))) : (s.environment ?? {}));

  const registry = doc.services.registry!;
  assert.equal(env(registry).APICURIO_STORAGE_KIND, 'sql', 'the registry keeps its schemas on disk');
  const dataMount = (registry.volumes ?? []).find((v) => v.endsWith(':/var/lib/registry'));
  assert.ok(dataMount && dataMount.split(':')[0]! in doc.volumes, 'on a named volume');
  assert.match(env(registry).APICURIO_DATASOURCE_URL ?? '', /^jdbc:h2:file:\/var\/lib\/registry\//, 'inside that volume');

  const grafana = doc.services.grafana!;
  assert.ok(!('GF_SECURITY_ADMIN_PASSWORD' in env(grafana)), 'no admin password written in the compose file');
  assert.deepEqual(grafana.env_file, ['fmeaflow.env'], 'the admin password comes from the operator\'s env file');
  const example = fs.readFileSync(path.join(PROJECT_ROOT, 'docker', 'fmeaflow.env.example'), 'utf8');
  assert.match(example, /^GF_SECURITY_ADMIN_PASSWORD=/m);
  assert.match(fs.readFileSync(path.join(PROJECT_ROOT, '.gitignore'), 'utf8'), /^docker\/fmeaflow\.env$/m, 'the real env file is never committed');

  for (const name of ['engine', 'replay']) {
    const svc = doc.services[name]!;
    assert.equal(svc.init, true, `${name} runs under an init process (signals reach node, zombies are reaped)`);
    const cmd = svc.command ?? [];
    assert.equal(cmd[cmd.indexOf('--metrics-host') + 1], '0.0.0.0', `${name} binds /metrics beyond loopback only because it is told to`);
    assert.ok(env(svc).FMEAFLOW_HTTP_ALLOWED_HOSTS, `${name} names the hosts its endpoints answer to`);
  }
  assert.match(doc.services.engine!.healthcheck?.test.join(' ') ?? '', /\/healthz/, 'the engine has a health check');
  for (const [name, svc] of Object.entries(doc.services)) {
    for (const p of svc.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name}: host port ${p} is published on loopback only`);
  }
});
