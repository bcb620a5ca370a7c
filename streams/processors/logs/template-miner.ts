/**
 * Streaming log template miner in the style of Drain (He et al., ICWS'17). A line's
 * tokens walk a fixed-depth tree — token count, then the first `prefixTokens` tokens —
 * to a small leaf of candidate templates, and the most similar one above the threshold
 * absorbs the line (differing positions become `<*>`). The walk and the leaf scan are
 * bounded, so assigning a line costs near-constant time however many templates exist.
 *
 * Template ids are stable: a template keeps its id while it generalises, and templates
 * never converge, so no id is ever merged into another. A line that would turn template A
 * into a copy of a sibling B matches B at least as well (B already has the wildcards A would
 * gain) and has more wildcards, so `bestMatch` gives it to B and A stays as it is. (A merge
 * pass with aliases used to sit here; it never fired on Loghub-2k under five configurations
 * nor on 200k random lines, and was removed.) Memory is bounded: past `maxTemplates` the
 * least-recently-used template is evicted and counted.
 */
import { WILDCARD, isVariableToken } from './masking.ts';

/** Tuning of the miner; one configuration serves every source. */
export interface TemplateMinerOptions {
  /** Leading tokens used as tree levels below the length level (Drain's depth − 2). */
  readonly prefixTokens: number;
  /** Minimum share of equal constant tokens for a line to join a template. */
  readonly similarityThreshold: number;
  /** Children per tree node before new tokens are routed to the wildcard child. */
  readonly maxChildren: number;
  /** Hard cap on live templates (least recently used is evicted beyond it). */
  readonly maxTemplates: number;
}

/** Defaults chosen once on the Loghub-2k benchmark for all datasets together (bench/results/logs.md). */
export const DEFAULT_MINER_OPTIONS: TemplateMinerOptions = {
  prefixTokens: 2,
  similarityThreshold: 0.5,
  maxChildren: 100,
  maxTemplates: 5000,
};

/** A mined template as persisted in the state store. */
export interface TemplateRecord {
  readonly id: number;
  readonly tokens: readonly string[];
  /** Lines absorbed (sampling-scaled counts live in the trend windows, not here). */
  readonly count: number;
  readonly createdMs: number;
  readonly lastSeenMs: number;
  /** Tree path the template was filed under; kept so a restore rebuilds the identical tree. */
  readonly path: readonly string[];
}

/** Outcome of adding one line. */
export interface AddResult {
  readonly templateId: number;
  /** 'created' = new template, 'updated' = template text generalised, 'none' = matched unchanged. */
  readonly change: 'created' | 'updated' | 'none';
  /** Template evicted to make room (LRU), if any. */
  readonly evictedId?: number;
}

/** Serializable state of the whole miner. */
export interface MinerSnapshot {
  readonly nextId: number;
  readonly evictions: number;
  readonly templates: readonly TemplateRecord[];
}

interface Node {
  readonly children: Map<string, Node>;
  readonly templateIds: number[];
}

interface LiveTemplate {
  id: number;
  tokens: string[];
  count: number;
  createdMs: number;
  lastSeenMs: number;
  path: string[];
  leaf: Node;
}

function newNode(): Node {
  return { children: new Map(), templateIds: [] };
}

/** Drain-style miner with stable ids and an LRU cap. */
export class TemplateMiner {
  readonly options: TemplateMinerOptions;
  private readonly root = new Map<number, Node>();
  // Map iteration order is insertion order; re-inserting on every hit makes it an O(1) LRU.
  private readonly live = new Map<number, LiveTemplate>();
  private nextId = 1;
  private evictionCount = 0;

  constructor(options: Partial<TemplateMinerOptions> = {}) {
    this.options = { ...DEFAULT_MINER_OPTIONS, ...options };
  }

  /** Number of templates evicted so far because of the cap. */
  get evictions(): number {
    return this.evictionCount;
  }

  /** Number of live templates. */
  get size(): number {
    return this.live.size;
  }

  /** Assigns masked `tokens` to a template, creating or generalising one. */
  add(tokens: readonly string[], eventTimeMs: number): AddResult {
    const found = this.leafFor(tokens, false);
    const match = found === undefined ? undefined : this.bestMatch(found, tokens);
    if (match === undefined) {
      const path: string[] = [];
      const leaf = this.leafFor(tokens, true, path)!;
      const id = this.nextId++;
      const t: LiveTemplate = { id, tokens: [...tokens], count: 1, createdMs: eventTimeMs, lastSeenMs: eventTimeMs, path, leaf };
      leaf.templateIds.push(id);
      this.live.set(id, t);
      const evictedId = this.live.size > this.options.maxTemplates ? this.evictOldest() : undefined;
      return evictedId === undefined ? { templateId: id, change: 'created' } : { templateId: id, change: 'created', evictedId };
    }
    this.touch(match, eventTimeMs);
    let changed = false;
    for (let i = 0; i < tokens.length; i++) {
      if (match.tokens[i] !== tokens[i] && match.tokens[i] !== WILDCARD) {
        match.tokens[i] = WILDCARD;
        changed = true;
      }
    }
    return { templateId: match.id, change: changed ? 'updated' : 'none' };
  }

  /** Finds the template `tokens` would join, without changing anything. */
  match(tokens: readonly string[]): number | undefined {
    const leaf = this.leafFor(tokens, false);
    return leaf === undefined ? undefined : this.bestMatch(leaf, tokens)?.id;
  }

  /** The id itself while the template is live, undefined once evicted. */
  resolve(id: number): number | undefined {
    return this.live.has(id) ? id : undefined;
  }

  /** A live template by id. */
  get(id: number): TemplateRecord | undefined {
    const t = this.live.get(id);
    return t === undefined ? undefined : toRecord(t);
  }

  /** All live templates, least recently used first. */
  templates(): TemplateRecord[] {
    return [...this.live.values()].map(toRecord);
  }

  /** The id the next new template will get. */
  snapshotNextId(): number {
    return this.nextId;
  }

  /** Full state for a store or a restart. */
  snapshot(): MinerSnapshot {
    return { nextId: this.nextId, evictions: this.evictionCount, templates: this.templates() };
  }

  /** Rebuilds a miner whose behaviour is identical to the one that took `snap`. */
  static restore(snap: MinerSnapshot, options: Partial<TemplateMinerOptions> = {}): TemplateMiner {
    const m = new TemplateMiner(options);
    m.nextId = snap.nextId;
    m.evictionCount = snap.evictions;
    for (const r of snap.templates) m.insertRecord(r);
    return m;
  }

  /** Inserts or replaces one persisted template (store restore, one key at a time). */
  insertRecord(r: TemplateRecord): void {
    const existing = this.live.get(r.id);
    if (existing !== undefined) this.removeLive(existing);
    const leaf = this.leafForPath(r.tokens.length, r.path);
    leaf.templateIds.push(r.id);
    this.live.set(r.id, { id: r.id, tokens: [...r.tokens], count: r.count, createdMs: r.createdMs, lastSeenMs: r.lastSeenMs, path: [...r.path], leaf });
    if (r.id >= this.nextId) this.nextId = r.id + 1;
  }

  private touch(t: LiveTemplate, eventTimeMs: number): void {
    t.count++;
    if (eventTimeMs > t.lastSeenMs) t.lastSeenMs = eventTimeMs;
    this.live.delete(t.id);
    this.live.set(t.id, t);
  }

  private routeKey(token: string): string {
    return isVariableToken(token) ? WILDCARD : token;
  }

  // Walks (and with `create`, grows) the tree; full nodes send new tokens to the wildcard child as Drain does.
  private leafFor(tokens: readonly string[], create: boolean, pathOut: string[] = []): Node | undefined {
    let node: Node | undefined = this.root.get(tokens.length);
    if (node === undefined) {
      if (!create) return undefined;
      node = newNode();
      this.root.set(tokens.length, node);
    }
    const depth = Math.min(this.options.prefixTokens, tokens.length);
    for (let i = 0; i < depth; i++) {
      const key = this.routeKey(tokens[i]!);
      let child: Node | undefined = node.children.get(key) ?? (create ? undefined : node.children.get(WILDCARD));
      if (child === undefined) {
        if (!create) return undefined;
        const full = node.children.size >= this.options.maxChildren - 1 && key !== WILDCARD;
        const useKey = full ? WILDCARD : key;
        child = node.children.get(useKey);
        if (child === undefined) {
          child = newNode();
          node.children.set(useKey, child);
        }
      }
      pathOut.push(node.children.get(key) === child ? key : WILDCARD);
      node = child;
    }
    return node;
  }

  private leafForPath(length: number, path: readonly string[]): Node {
    let node: Node | undefined = this.root.get(length);
    if (node === undefined) {
      node = newNode();
      this.root.set(length, node);
    }
    for (const key of path) {
      let child: Node | undefined = node.children.get(key);
      if (child === undefined) {
        child = newNode();
        node.children.set(key, child);
      }
      node = child;
    }
    return node;
  }

  private bestMatch(leaf: Node, tokens: readonly string[]): LiveTemplate | undefined {
    let best: LiveTemplate | undefined;
    let bestSim = -1;
    let bestParams = -1;
    for (const id of leaf.templateIds) {
      const t = this.live.get(id);
      if (t === undefined) continue;
      let same = 0;
      let params = 0;
      let sameConstants = 0;
      for (let i = 0; i < tokens.length; i++) {
        const tt = t.tokens[i]!;
        // A variable the masking already found (the line's own <*>) matches a variable position: without this,
        // lines made mostly of masked tokens could never reach the threshold and each became a new template.
        if (tt === WILDCARD) tokens[i] === WILDCARD ? same++ : params++;
        else if (tt === tokens[i]) { same++; sameConstants++; }
      }
      // ... but a line must share at least one of the template's constants: variables alone say nothing of the event.
      if (sameConstants === 0 && params + same < t.tokens.length) continue;
      const sim = same / tokens.length;
      if (sim > bestSim || (sim === bestSim && params > bestParams)) {
        best = t;
        bestSim = sim;
        bestParams = params;
      }
    }
    return best !== undefined && bestSim >= this.options.similarityThreshold ? best : undefined;
  }

  private removeLive(t: LiveTemplate): void {
    const i = t.leaf.templateIds.indexOf(t.id);
    if (i >= 0) t.leaf.templateIds.splice(i, 1);
    this.live.delete(t.id);
  }

  private evictOldest(): number | undefined {
    const oldest = this.live.values().next().value as LiveTemplate | undefined;
    if (oldest === undefined) return undefined;
    this.removeLive(oldest);
    this.evictionCount++;
    return oldest.id;
  }
}

function toRecord(t: LiveTemplate): TemplateRecord {
  return { id: t.id, tokens: [...t.tokens], count: t.count, createdMs: t.createdMs, lastSeenMs: t.lastSeenMs, path: [...t.path] };
}
