import { runOffline } from './drive-pipeline.ts';
import { Topics } from '../../streams/topic-catalog.ts';
for (const d of process.argv.slice(2)) {
  const out = await runOffline([d]);
  const ev = (out[Topics.drift] ?? []).map((r) => r.value as any).filter((e) => e?.phase === 'ONSET');
  console.log(d, ev.length);
  for (const e of ev) console.log(`  ${e.seriesId} ${e.detector} t=${(e.windowStartMs % 600000) / 1000} x=${e.value.toFixed(3)} mean=${e.baselineMean.toFixed(3)} sd=${e.baselineStdDev.toFixed(4)} z=${e.zScore.toFixed(1)} chart=${e.chartStatistic?.toFixed(2)}/${e.chartLimit?.toFixed(2)}`);
}
process.exit(0);
