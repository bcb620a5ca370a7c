/**
 * The store-and-forward spool on a real disk: FIFO order, bounded size with oldest-first
 * drops that are counted, and records that survive reopening (a restart).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from '../../../vehicle-producer/spool/disk-spool.ts';

const rec = (i: number) => ({ topic: 't', key: `V${i % 3}`, value: Buffer.from(`value-${String(i).padStart(4, '0')}`) });

function drain(s: DiskSpool): string[] {
  const out: string[] = [];
  for (let r = s.peekOldest(); r !== null; r = s.peekOldest()) {
    out.push(...r.map((x) => x.value.toString()));
    s.commitOldest();
  }
  return out;
}

test('FIFO across segments and across a reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-'));
  try {
    const s = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 200 });
    s.append(Array.from({ length: 50 }, (_, i) => rec(i)));
    assert.equal(s.size, 50);
    s.close();
    const again = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 200 });
    assert.equal(again.size, 50);
    again.append([rec(50)]);
    assert.deepEqual(drain(again), Array.from({ length: 51 }, (_, i) => rec(i).value.toString()));
    assert.equal(again.size, 0);
    assert.equal(again.droppedRecords, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bounded: the oldest segments are dropped first and every dropped record is counted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-'));
  try {
    // each record: 4 + 2 + 1 + 2 + 2 + 10 = 21 bytes; 5 per 105-byte segment; 500 bytes keep ≤ 23 records
    const s = new DiskSpool({ dir, maxBytes: 500, segmentBytes: 105 });
    s.append(Array.from({ length: 100 }, (_, i) => rec(i)));
    assert.ok(s.bytes <= 500);
    const left = drain(s);
    assert.equal(left.length + s.droppedRecords, 100, 'every record is either kept or counted as dropped');
    assert.ok(s.droppedRecords > 0);
    // what is left is the newest records, still in order
    assert.deepEqual(left, Array.from({ length: left.length }, (_, i) => rec(100 - left.length + i).value.toString()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
