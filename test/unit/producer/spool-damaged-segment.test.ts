/**
 * A damaged spool segment (a record whose topic length runs past the record, one whose topic is not a legal topic
 * name) is read without those records, which are counted: forwarding them would send garbage to a garbage topic,
 * and a send that can never succeed would hold every record behind it. The records around them are forwarded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from '../../../vehicle-producer/spool/disk-spool.ts';

/** One record in the segment format: u32 length, u16 topic length, topic, u16 key length, key, value. */
function rawRecord(topicLen: number, topic: string, key: string, value: string): Buffer {
  const t = Buffer.from(topic);
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const body = Buffer.concat([Buffer.from([topicLen >> 8, topicLen & 0xff]), t, Buffer.from([k.length >> 8, k.length & 0xff]), k, v]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

test('records of a damaged segment that cannot be a record are skipped and counted; the others are kept in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-'));
  try {
    const s = new DiskSpool({ dir, maxBytes: 1_000_000 });
    s.append([{ topic: 'vehicle.can.v1', key: 'V1', value: Buffer.from('first') }]);
    s.close();
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.seg'));
    const path = join(dir, segment!);
    writeFileSync(path, Buffer.concat([
      readFileSync(path),
      rawRecord(60_000, 'vehicle.can.v1', 'V1', 'topic length past the record'),
      rawRecord(9, 'bad topic', 'V1', 'not a topic name'),
      rawRecord(14, 'vehicle.can.v1', 'V1', 'last'),
    ]));
    const again = new DiskSpool({ dir, maxBytes: 1_000_000 });
    assert.equal(again.corruptRecords, 2);
    assert.equal(again.size, 2);
    assert.deepEqual(again.peek(10).map((r) => [r.topic, r.value.toString()]), [['vehicle.can.v1', 'first'], ['vehicle.can.v1', 'last']]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
