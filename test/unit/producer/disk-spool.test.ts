/**
 * The store-and-forward spool on a real disk: FIFO order, bounded size with oldest-first
 * drops that are counted, and records that survive reopening (a restart).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from '../../../vehicle-producer/spool/disk-spool.ts';
import { KafkaSink } from '../../../vehicle-producer/publish/kafka-sink.ts';

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

test('partial commits: a batch smaller than a segment is consumed once, and a reopen resumes after the last commit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-'));
  try {
    // 21-byte records, 5 per 105-byte segment: batches of 3 cut across segment boundaries.
    const s = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 105 });
    s.append(Array.from({ length: 17 }, (_, i) => rec(i)));
    const sent: string[] = [];
    for (let k = 0; k < 3; k++) {
      const b = s.peek(3);
      assert.equal(b.length, 3);
      sent.push(...b.map((x) => x.value.toString()));
      s.commit(b.length);
    }
    // Peeked but not committed (a failed send): must come back, first, after a restart.
    assert.deepEqual(s.peek(2).map((x) => x.value.toString()), [rec(9).value.toString(), rec(10).value.toString()]);
    assert.equal(s.size, 8);
    s.close();
    const again = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 105 });
    assert.equal(again.size, 8);
    again.append([rec(17)]);
    for (let b = again.peek(4); b.length > 0; b = again.peek(4)) {
      sent.push(...b.map((x) => x.value.toString()));
      again.commit(b.length);
    }
    assert.deepEqual(sent, Array.from({ length: 18 }, (_, i) => rec(i).value.toString()), 'each record exactly once, in order');
    assert.equal(again.size, 0);
    again.close();
    assert.deepEqual(readdirSync(dir), [], 'an empty spool leaves no files');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bounded with a partly consumed head: only unconsumed records of a dropped segment count as dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-'));
  try {
    const s = new DiskSpool({ dir, maxBytes: 315, segmentBytes: 105 }); // 3 segments of 5 records
    s.append(Array.from({ length: 15 }, (_, i) => rec(i)));
    s.commit(2); // records 0 and 1 delivered
    s.append(Array.from({ length: 5 }, (_, i) => rec(15 + i))); // a 4th segment pushes the head segment out
    assert.equal(s.droppedRecords, 3, 'records 2..4 were never delivered and are counted');
    const left: string[] = [];
    for (let b = s.peek(7); b.length > 0; b = s.peek(7)) {
      left.push(...b.map((x) => x.value.toString()));
      s.commit(b.length);
    }
    assert.deepEqual(left, Array.from({ length: 15 }, (_, i) => rec(5 + i).value.toString()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a head batch marked as sent-but-unacknowledged stays marked across a reopen until it is committed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-'));
  try {
    const s = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 105 });
    s.append(Array.from({ length: 12 }, (_, i) => rec(i)));
    s.commit(4);
    s.markPendingHead(3);
    s.close();
    const again = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 105 });
    assert.equal(again.pendingHead, 3);
    assert.deepEqual(again.peek(again.pendingHead).map((x) => x.value.toString()), [4, 5, 6].map((i) => rec(i).value.toString()));
    // A sink opened on this spool must not present the re-send of that batch as clean.
    assert.equal(new KafkaSink({ brokers: ['127.0.0.1:1'], spoolDir: dir }).stats().possibleDuplicates, 3);
    again.commit(3);
    assert.equal(again.pendingHead, 0);
    again.close();
    assert.equal(new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 105 }).pendingHead, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record\'s traceparent survives the spool and a restart; records without one (older segments) read as before', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-tp-'));
  try {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const s = new DiskSpool({ dir });
    s.append([{ topic: 't1', key: 'k1', value: Buffer.from('a'), traceparent: tp }, { topic: 't2', key: 'k2', value: Buffer.from('bb') }]);
    s.close();
    const again = new DiskSpool({ dir });
    assert.deepEqual(again.peek(10), [{ topic: 't1', key: 'k1', value: Buffer.from('a'), traceparent: tp }, { topic: 't2', key: 'k2', value: Buffer.from('bb') }]);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
