/**
 * `fmeaflow rules`: the quality engineer's tools for FMEA rule files — lint (file:line:column
 * and field), test (evidence in, expected actions out, like `promtool test rules`), publish
 * to the compacted rules topic workers hot-reload, and CSV import/export of worksheets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { formatIssue } from '../processors/fmea/rule-issue.ts';
import { csvToWorksheetYaml, worksheetYamlToCsv } from '../fmea/csv.ts';
import { lintRuleFiles } from '../fmea/lint.ts';
import { publishRuleFiles } from '../fmea/publish.ts';
import { DEFAULT_RULES_DIR, expandRuleFiles, loadOccurrenceTable } from '../fmea/rule-files.ts';
import { runRuleTestFile } from '../fmea/rules-test.ts';

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Adds the `rules` command with its subcommands. */
export function register(program: Command): void {
  const rules = program.command('rules').description('lint, test, publish, import and export FMEA rule files (fmea-rules/*.yaml)');

  rules
    .command('lint')
    .description('validate rule files: YAML syntax, JSON Schema, condition syntax, unknown fields, duplicate ids, unknown series (warning)')
    .argument('[files...]', 'worksheet files or folders', [DEFAULT_RULES_DIR])
    .option('--known-series <file>', 'YAML list of series that exist (default fmea-rules/known-series.yaml)')
    .option('--occurrence-table <file>', 'also validate this occurrence table (default fmea-rules/occurrence-table.yaml when linting the default folder)')
    .option('--warnings-as-errors', 'exit 1 on warnings too')
    .option('--json', 'print issues as JSON')
    .action((files: string[], opts: { knownSeries?: string; occurrenceTable?: string; warningsAsErrors?: boolean; json?: boolean }) => {
      const r = lintRuleFiles(files, opts.knownSeries ? { knownSeriesFile: opts.knownSeries } : {});
      const tableFile = opts.occurrenceTable ?? (files.length === 1 && files[0] === DEFAULT_RULES_DIR ? `${DEFAULT_RULES_DIR}/occurrence-table.yaml` : undefined);
      let tableError: string | undefined;
      if (tableFile) {
        try { loadOccurrenceTable(tableFile); } catch (err) { tableError = (err as Error).message; }
      }
      if (opts.json) out(JSON.stringify({ ...r, occurrenceTableError: tableError ?? null }, null, 2));
      else {
        for (const i of r.issues) out(formatIssue(i));
        if (tableError) out(`error: ${tableError}`);
        out(`${r.files.length} file(s), ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'}, ${r.errors + (tableError ? 1 : 0)} error(s), ${r.warnings} warning(s)`);
      }
      if (r.errors > 0 || tableError || (opts.warningsAsErrors && r.warnings > 0)) process.exitCode = 1;
    });

  rules
    .command('test')
    .description('run rule tests: each test file names rule files and lists cases of input evidence records and expected actions')
    .argument('[files...]', 'test files or folders (*.test.yaml)', [`${DEFAULT_RULES_DIR}/tests`])
    .action((files: string[]) => {
      const testFiles = expandRuleFiles(files).filter((f) => /\.test\.ya?ml$/.test(f) || files.includes(f));
      if (testFiles.length === 0) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `no *.test.yaml files in ${files.join(', ')}; pass test files or a folder holding them`);
      let passed = 0;
      let failed = 0;
      for (const f of testFiles) {
        for (const r of runRuleTestFile(f)) {
          if (r.failures.length === 0) { passed++; out(`ok    ${f}: ${r.name}`); }
          else {
            failed++;
            out(`FAIL  ${f}: ${r.name}`);
            for (const x of r.failures) out(`        ${x}`);
          }
        }
      }
      out(`rules test: ${passed} passed, ${failed} failed`);
      if (failed > 0) process.exitCode = 1;
    });

  rules
    .command('publish')
    .description('lint, then publish worksheets to the compacted fmea.rules.v1 topic (workers hot-reload; a broken set never replaces a working one)')
    .argument('[files...]', 'worksheet files or folders', [DEFAULT_RULES_DIR])
    .option('--brokers <list>', 'bootstrap servers, comma separated (default KAFKA_BROKERS or the local stack)')
    .option('--topic-prefix <prefix>', 'start of every topic, group and transactional id on a shared cluster (default FMEAFLOW_TOPIC_PREFIX or fmeaflow.topic.prefix in FMEAFLOW_KAFKA_PROPERTIES)')
    .option('--registry <url>', 'schema registry URL (default SCHEMA_REGISTRY_URL or the local stack)')
    .option('--by <who>', 'publisher recorded with the rule set (user or CI job)')
    .action(async (files: string[], opts: { brokers?: string; registry?: string; by?: string }) => {
      const r = await publishRuleFiles(files, {
        ...(opts.brokers ? { brokers: opts.brokers.split(',') } : {}), ...(opts.registry ? { registryUrl: opts.registry } : {}), publishedBy: opts.by ?? null,
      });
      out(`published ${r.worksheets.join(', ')} to ${r.topic}`);
    });

  rules
    .command('export')
    .description('export a worksheet to CSV (one row per entry; evidence as JSON in one column)')
    .argument('<file>', 'worksheet YAML file')
    .option('-o, --out <file>', 'CSV output file (default stdout)')
    .action((file: string, opts: { out?: string }) => {
      const csv = worksheetYamlToCsv(readText(file), file);
      if (opts.out) writeFileSync(opts.out, csv);
      else process.stdout.write(csv);
    });

  rules
    .command('import')
    .description('import a worksheet from CSV (columns as written by export) into YAML; lint the result before publishing')
    .argument('<csv>', 'CSV file')
    .requiredOption('--worksheet <id>', 'worksheet id (lower-case letters, digits, dashes)')
    .option('--title <text>', 'worksheet title')
    .option('--kind <kind>', 'DFMEA, PFMEA or FMEA-MSR', 'DFMEA')
    .option('-o, --out <file>', 'YAML output file (default stdout)')
    .action((csvFile: string, opts: { worksheet: string; title?: string; kind: string; out?: string }) => {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(opts.worksheet)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--worksheet '${opts.worksheet}' must be lower-case letters, digits and dashes, e.g. --worksheet ${basename(csvFile).replace(/\.csv$/, '').toLowerCase().replace(/[^a-z0-9-]/g, '-')}`);
      const yaml = csvToWorksheetYaml(readText(csvFile), { file: csvFile, worksheet: opts.worksheet, kind: opts.kind, ...(opts.title ? { title: opts.title } : {}) });
      if (opts.out) writeFileSync(opts.out, yaml);
      else process.stdout.write(yaml);
    });

  for (const c of rules.commands) c.exitOverride();
  rules.exitOverride();
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `cannot read '${file}'; pass an existing file path`);
  }
}
