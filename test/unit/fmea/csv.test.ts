import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { csvToWorksheetYaml, parseCsv, worksheetYamlToCsv } from '../../../streams/fmea/csv.ts';
import { SourceLocationError } from '../../../streams/errors.ts';
import { parseWorksheet } from '../../../streams/processors/fmea/worksheet-parser.ts';

const strip = (ws: ReturnType<typeof parseWorksheet>['worksheet']) => ws!.entries.map(({ line: _line, ...e }) => e);

for (const name of ['can-network', 'bms', 'flash-bootloader', 'gray-release']) {
  test(`CSV export then import of ${name} gives the same compiled worksheet`, () => {
    const yaml = readFileSync(`fmea-rules/${name}.yaml`, 'utf8');
    const csv = worksheetYamlToCsv(yaml);
    const back = csvToWorksheetYaml(csv, { file: `${name}.csv`, worksheet: name });
    const a = parseWorksheet(`${name}.yaml`, yaml);
    const b = parseWorksheet(`${name}.imported.yaml`, back);
    assert.deepEqual(b.issues, []);
    assert.deepEqual(strip(b.worksheet), strip(a.worksheet));
  });
}

test('CSV parser handles quotes, commas and newlines in cells', () => {
  const rows = parseCsv('a,b,c\n"x, y","say ""hi""","two\nlines"\n');
  assert.deepEqual(rows.map((r) => r.cells), [['a', 'b', 'c'], ['x, y', 'say "hi"', 'two\nlines']]);
  assert.deepEqual(rows.map((r) => r.line), [1, 2]);
});

test('a bad rating in CSV names the line and the column', () => {
  const csv = 'id,item,function,failureMode,effect,cause,severity,occurrence,detection,evidence\nS-A-01,i,f,m,e,c,high,2,3,"{""dtc"":[""P0A80""]}"\n';
  assert.throws(() => csvToWorksheetYaml(csv, { file: 'x.csv', worksheet: 'x' }), (e: unknown) => e instanceof SourceLocationError && e.line === 2 && e.field === 'severity');
  const badJson = csv.replace('high', '5').replace('"{""dtc"":[""P0A80""]}"', '{dtc');
  assert.throws(() => csvToWorksheetYaml(badJson, { file: 'x.csv', worksheet: 'x' }), (e: unknown) => e instanceof SourceLocationError && e.field === 'evidence');
});
