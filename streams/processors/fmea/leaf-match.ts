/**
 * Whether one piece of evidence satisfies one leaf condition. Leaves look at a single
 * evidence item (one vector, one centroid, one event); combining them over time and scope is
 * the evaluator's job.
 */
import { evaluateCondition, type RefNode } from './condition-expr.ts';
import type { CanClusterEvidence, Evidence, SeriesEvidence } from './evidence/evidence.ts';
import { globMatch } from './glob.ts';
import type { LeafCondition, LogClusterCondition } from './rule-model.ts';

function labelsMatch(ref: RefNode, labels: Readonly<Record<string, string>>): boolean {
  return ref.labels.every((l) => (l.op === '=' ? labels[l.name] === l.value : labels[l.name] !== l.value));
}

function seriesResolver(ev: SeriesEvidence) {
  return (ref: RefNode): number | undefined => {
    const n = ref.name.toLowerCase();
    if (n === 'value') return ev.value;
    if (n === 'zscore' || n === 'z') return ev.zScore;
    // Windowed series carry their statistic as a suffix (can_bus_error_rate.last, span.latency.p95);
    // a rule naming the metric matches any statistic of it, or one statistic when it names it.
    const sameSeries = ref.name === ev.series || ev.series.startsWith(`${ref.name}.`);
    if (!sameSeries || !labelsMatch(ref, ev.labels)) return undefined;
    // A bare series reference means "an event on this series": present even without a value.
    return ev.value ?? Number.NaN;
  };
}

function clusterResolver(ev: CanClusterEvidence) {
  return (ref: RefNode): number | undefined => {
    if (ref.name === 'size') return ev.size;
    if (ref.name === 'share') return ev.share;
    if (ref.name.startsWith('normal.')) return ev.normal[ref.name.slice(7)];
    return ev.centroid[ref.name];
  };
}

function matchLogCluster(c: LogClusterCondition, ev: Evidence): boolean {
  if (ev.kind !== 'logCluster') return false;
  if (c.trend) {
    if (c.trend.kind === 'new' && ev.eventType !== 'NEW') return false;
    if (c.trend.kind === 'gone' && ev.eventType !== 'GONE') return false;
    if (c.trend.kind === 'rate' && (ev.eventType !== 'RATE_UP' || (c.trend.factor !== undefined && !((ev.rateRatio ?? 0) >= c.trend.factor)))) return false;
  } else if (ev.eventType === 'GONE') {
    return false; // a vanished cluster is not evidence of its failure mode unless asked for
  }
  if (c.keywords.length > 0) {
    const hay = [...ev.keywords, ...ev.templates, ...ev.examples].join('\n').toLowerCase();
    if (!c.keywords.every((alts) => alts.some((a) => hay.includes(a)))) return false;
  }
  if (c.templates.length > 0 && !ev.templates.some((t) => c.templates.some((p) => globMatch(p, t)))) return false;
  return true;
}

/** True when `ev` satisfies `leaf` on its own. */
export function leafMatches(leaf: LeafCondition, ev: Evidence): boolean {
  switch (leaf.type) {
    case 'logCluster': return matchLogCluster(leaf, ev);
    case 'canFeature': return ev.kind === 'canFeature' && evaluateCondition(leaf.expr, (r) => ev.features[r.name]);
    case 'dtc': return ev.kind === 'canFeature' && ev.dtcCodes.some((d) => leaf.codes.includes(d.slice(0, 5)));
    case 'canCluster': return ev.kind === 'canCluster' && evaluateCondition(leaf.expr, clusterResolver(ev));
    case 'drift': return ev.kind === 'drift' && evaluateCondition(leaf.expr, seriesResolver(ev));
    case 'alert': return ev.kind === 'alert' && (leaf.includeSuppressed || !ev.suppressed) && evaluateCondition(leaf.expr, seriesResolver(ev));
    case 'canary': return ev.kind === 'canary' && leaf.verdicts.includes(ev.verdict) && globMatch(leaf.metric, ev.metric) && (leaf.release === undefined || globMatch(leaf.release, ev.releaseId));
  }
}
