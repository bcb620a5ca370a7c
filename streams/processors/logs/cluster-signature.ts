/**
 * A partition-independent signature of a per-partition log cluster, so the clusters that
 * different input partitions found for the same kind of line meet under one fleet key.
 *
 * Cluster ids (p3-c7) and template ids (p3-t12) are per-partition sequence numbers and say
 * nothing across partitions; the masked template text does: the same kind of line masks to
 * the same text on every partition. The signature is a hash of the cluster's *founding*
 * template — the one with the smallest template id, i.e. the oldest template still in the
 * cluster — rather than of all its templates or of the most frequent one, because:
 *  - template ids only grow, so the founding template stays the same while the cluster
 *    gains templates or their frequencies change from window to window;
 *  - a cluster is founded by one kind of line, so that template is what every partition's
 *    cluster of that kind has in common, whatever else each partition clustered with it.
 * Mask tokens (<NUM>, <HEX>, <CANID>, …) and Drain's wildcard <*> are all written as <*>,
 * so a partition that generalised a masked position to <*> still gets the same signature.
 * Known limit: if Drain later generalises a literal word of the founding template to <*>
 * (a differing word at that position on one partition), that partition's text and so its
 * signature differ; the fleet stage then sees two fleet clusters for it.
 */
import { stableHash } from '../stable-hash.ts';
import type { ClusterTemplateOut } from './log-cluster-event.ts';

const MASK = /<[^<>\s]*>/g;

/** Template text with every mask token as <*> and whitespace collapsed (the part that is the same on every partition). */
export function canonicalTemplate(text: string): string {
  return text.replace(MASK, '<*>').replace(/\s+/g, ' ').trim();
}

/** Numeric part of a per-partition template id (p3-t12 → 12); undefined when the id has another shape. */
function templateSeq(templateId: string): number | undefined {
  const m = /-t(\d+)$/.exec(templateId);
  return m ? Number(m[1]) : undefined;
}

/** The founding template of a cluster event: smallest template id, ties and unparsable ids broken by text. */
export function foundingTemplate(templates: readonly ClusterTemplateOut[]): ClusterTemplateOut | undefined {
  let best: ClusterTemplateOut | undefined;
  let bestSeq = Number.POSITIVE_INFINITY;
  for (const t of templates) {
    if (t.template.trim().length === 0) continue;
    const seq = templateSeq(t.templateId) ?? Number.POSITIVE_INFINITY;
    if (best === undefined || seq < bestSeq || (seq === bestSeq && canonicalTemplate(t.template) < canonicalTemplate(best.template))) {
      best = t;
      bestSeq = seq;
    }
  }
  return best;
}

/** Signature of a cluster event (16 hex digits); falls back to its keywords when it lists no template text. */
export function clusterSignature(event: { readonly templates: readonly ClusterTemplateOut[]; readonly keywords: readonly string[]; readonly clusterId: string }): string {
  const founding = foundingTemplate(event.templates);
  if (founding !== undefined) return stableHash('tpl', canonicalTemplate(founding.template));
  // Templates are always present in events of log-cluster-processor; this only covers foreign producers.
  if (event.keywords.length > 0) return stableHash('kw', [...event.keywords].sort().join(' '));
  return stableHash('id', event.clusterId);
}

/** Fleet cluster id of a signature: stable across restarts because it derives from the template text. */
export function fleetClusterId(signature: string): string {
  return `fleet-${signature}`;
}
