/**
 * Streaming log template miner in the style of Drain (He et al., ICWS'17). A line's
 * tokens walk a fixed-depth tree — token count, then the first `prefixTokens` tokens —
 * to a small leaf of candidate templates, and the most similar one above the threshold
 * absorbs the line (differing positions become `<*>`). The walk and the leaf scan are
 * bounded, so assigning a line costs near-constant time however many templates exist.
 *
 * Template ids are stable as templates change, so trends and evidence keyed by id do not restart:
 * - a template keeps its id while it generalises;
 * - a merge: when a template generalises into the shape of another live template (same tokens once every
 *   variable class reads `<*>`, wherever in the tree it was filed), the older id survives and the other id
 *   becomes its alias (`resolve` follows it, the record lists it);
 * - a split: a wildcard born from constant words that has taken only a few values, each repeatedly
 *   (`client alpha` / `client beta`), gets one child template per value with a new id and `origin` = the parent;
 *   the parent stays for any other value.
 * Routing uses the key of a key=value token (`overlap:`), not its value, so values never separate leaves.
 * Length does not split a template: a line that finds no template of its own length is aligned (common prefix, common
 * suffix, one gap) against the templates filed under the same leading tokens at other lengths; when the gap is
 * variables on one side and at most a few variables and one unit word on the other (`<*> min` vs `<*> h <*> min`,
 * `lifetime <*>` vs `lifetime <<*> sec`), the line joins that template, which is filed under the new length as a *variant* of the same
 * id. The length level of the tree stays only as a fast path: a line of a length already seen matches in one leaf.
 * Memory is bounded: past `maxTemplates` the least-recently-used template is evicted and counted; aliases and
 * tracked values per template are capped.
 */
import { WILDCARD, isUnitWord, isVariableToken, keyOf } from './masking.ts';

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
  /** A wildcard that took at most this many constant values is split into one template per value (0: never split). */
  readonly splitMaxValues: number;
  /** Lines each value must have been seen in before a split (a value seen once may still be a variable). */
  readonly splitMinLinesPerValue: number;
  /**
   * Only templates with at most this many constant tokens split: in a short template one differing word is much of the
   * evidence the similarity threshold weighed (`Begin`/`End`, `initialized by client alpha`/`beta`), in a long one a few
   * recurring values are usually a variable. 5 is the grid value chosen out of sample (bench/RESULTS.md).
   */
  readonly splitMaxConstants: number;
  /** Lengths one template may be filed under besides its own (0: a template has one length, as in Drain). */
  readonly maxLengthVariants: number;
}

/** One configuration for every source: the grid setting the leave-one-dataset-out step picks on the Loghub-2k benchmark (bench/RESULTS.md). */
export const DEFAULT_MINER_OPTIONS: TemplateMinerOptions = {
  prefixTokens: 2,
  similarityThreshold: 0.6,
  maxChildren: 100,
  maxTemplates: 5000,
  splitMaxValues: 3,
  splitMinLinesPerValue: 3,
  splitMaxConstants: 5,
  maxLengthVariants: 8,
};

/** Longest gap (in tokens) one side of a cross-length alignment may have. */
export const MAX_GAP_TOKENS = 4;
// Templates scanned per head key when a line finds nothing at its own length (most recent first).
const MAX_ACROSS_CANDIDATES = 64;

/** Most ids remembered as aliases of one template (older aliases stop resolving first). */
export const MAX_ALIASES_PER_TEMPLATE = 32;

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
  /** Ids merged into this template (they resolve to it). */
  readonly aliases?: readonly number[];
  /** The template this one was split from. */
  readonly origin?: number;
  /** Per position: counts of the constant values a wildcard born from constants has taken (null: not a candidate for a split). */
  readonly values?: readonly (readonly [string, number][] | null)[];
  /** The same template at other lengths (each with its own tree path). */
  readonly variants?: readonly { readonly tokens: readonly string[]; readonly path: readonly string[] }[];
}

/** Outcome of adding one line. */
export interface AddResult {
  readonly templateId: number;
  /** 'created' = new template, 'updated' = template text generalised, 'none' = matched unchanged. */
  readonly change: 'created' | 'updated' | 'none';
  /** Template evicted to make room (LRU), if any. */
  readonly evictedId?: number;
  /** The line's template took the shape of an older one and was merged into it (`templateId` is the survivor). */
  readonly merged?: { readonly from: number; readonly into: number };
  /** The line's template was split: new ids minted from `from` (the line's id is one of them or `from`). */
  readonly split?: { readonly from: number; readonly into: readonly number[] };
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
  aliases: number[];
  origin: number | undefined;
  values: (Map<string, number> | null)[] | undefined;
  signature: string;
  /** Length → the template's shape at that length (never its own length). */
  variants: Map<number, Variant> | undefined;
}

interface Variant {
  tokens: string[];
  path: string[];
  leaf: Node;
}

/** Where a line aligns with a template of another length: `prefix` and `suffix` tokens agree, the middle is the gap. */
interface Alignment {
  readonly t: LiveTemplate;
  readonly prefix: number;
  readonly suffix: number;
}

function newNode(): Node {
  return { children: new Map(), templateIds: [] };
}

/** Drain-style miner with stable ids (merge aliases, split origins) and an LRU cap. */
export class TemplateMiner {
  readonly options: TemplateMinerOptions;
  private readonly root = new Map<number, Node>();
  // Map iteration order is insertion order; re-inserting on every hit makes it an O(1) LRU.
  private readonly live = new Map<number, LiveTemplate>();
  // Shape (every variable as <*>) → live template id: how a template that generalised finds its twin in another leaf.
  private readonly bySignature = new Map<string, number>();
  // Merged id → surviving id (bounded: each survivor keeps at most MAX_ALIASES_PER_TEMPLATE).
  private readonly aliasOf = new Map<number, number>();
  // Tree path (leading route keys) → template ids filed under it at any length: where a line of a new length looks.
  private readonly byHead = new Map<string, number[]>();
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

  /** Assigns masked `tokens` to a template, creating, generalising, merging or splitting one. */
  add(tokens: readonly string[], eventTimeMs: number): AddResult {
    const found = this.leafFor(tokens, false);
    const match = found === undefined ? undefined : this.bestMatch(found, tokens);
    if (match === undefined) {
      const across = this.options.maxLengthVariants > 0 ? this.alignAcrossLengths(tokens) : undefined;
      if (across !== undefined) return this.addVariant(across, tokens, eventTimeMs);
      const path: string[] = [];
      const leaf = this.leafFor(tokens, true, path)!;
      const t = this.create([...tokens], path, leaf, eventTimeMs, undefined);
      const evictedId = this.live.size > this.options.maxTemplates ? this.evictOldest() : undefined;
      return evictedId === undefined ? { templateId: t.id, change: 'created' } : { templateId: t.id, change: 'created', evictedId };
    }
    this.touch(match, eventTimeMs);
    if (match.tokens.length !== tokens.length) return this.generaliseVariant(match, tokens);
    let changed = false;
    for (let i = 0; i < tokens.length; i++) {
      const tt = match.tokens[i]!;
      const lt = tokens[i]!;
      if (tt === lt) continue;
      if (tt === WILDCARD) {
        this.countValue(match, i, lt);
        continue;
      }
      if (tt.endsWith(WILDCARD) && keyWildcardMatches(tt, lt)) {
        this.countValue(match, i, lt);
        continue;
      }
      // Two values of one key generalise the value only: `overlap:false` + `overlap:true` → `overlap:<*>`.
      const key = keyOf(tt);
      const generalised = key !== undefined && key === keyOf(lt) ? key + WILDCARD : WILDCARD;
      this.startValues(match, i, tt, lt);
      match.tokens[i] = generalised;
      changed = true;
    }
    if (!changed) {
      const split = this.maybeSplit(match, tokens, eventTimeMs);
      if (split !== undefined) return split;
      return { templateId: match.id, change: 'none' };
    }
    const merged = this.reSign(match);
    if (merged !== undefined) return { templateId: merged.into, change: 'updated', merged };
    return { templateId: match.id, change: 'updated' };
  }

  /** Finds the template `tokens` would join, without changing anything. */
  match(tokens: readonly string[]): number | undefined {
    const leaf = this.leafFor(tokens, false);
    const id = leaf === undefined ? undefined : this.bestMatch(leaf, tokens)?.id;
    if (id !== undefined || this.options.maxLengthVariants <= 0) return id;
    return this.alignAcrossLengths(tokens)?.t.id;
  }

  /** The live template an id stands for now: itself, or the template it was merged into; undefined once evicted. */
  resolve(id: number): number | undefined {
    if (this.live.has(id)) return id;
    let at = this.aliasOf.get(id);
    for (let hops = 0; at !== undefined && hops < 64; hops++) {
      if (this.live.has(at)) return at;
      at = this.aliasOf.get(at);
    }
    return undefined;
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
    const values = r.values?.map((v) => (v === null ? null : new Map(v)));
    let variants: Map<number, Variant> | undefined;
    for (const v of r.variants ?? []) {
      const vleaf = this.leafForPath(v.tokens.length, v.path);
      vleaf.templateIds.push(r.id);
      (variants ??= new Map()).set(v.tokens.length, { tokens: [...v.tokens], path: [...v.path], leaf: vleaf });
    }
    const t: LiveTemplate = {
      id: r.id, tokens: [...r.tokens], count: r.count, createdMs: r.createdMs, lastSeenMs: r.lastSeenMs, path: [...r.path], leaf,
      aliases: [...(r.aliases ?? [])], origin: r.origin, values, signature: signatureOf(r.tokens), variants,
    };
    this.live.set(r.id, t);
    this.fileHead(t);
    this.bySignature.set(t.signature, t.id);
    for (const a of t.aliases) this.aliasOf.set(a, t.id);
    if (r.id >= this.nextId) this.nextId = r.id + 1;
  }

  private create(tokens: string[], path: string[], leaf: Node, eventTimeMs: number, origin: number | undefined): LiveTemplate {
    const id = this.nextId++;
    const t: LiveTemplate = {
      id, tokens, count: 1, createdMs: eventTimeMs, lastSeenMs: eventTimeMs, path, leaf, aliases: [], origin, values: undefined,
      signature: signatureOf(tokens), variants: undefined,
    };
    leaf.templateIds.push(id);
    this.live.set(id, t);
    this.fileHead(t);
    if (!this.bySignature.has(t.signature)) this.bySignature.set(t.signature, id);
    return t;
  }

  private fileHead(t: LiveTemplate): void {
    const key = t.path.join('\u0001');
    let ids = this.byHead.get(key);
    if (ids === undefined) this.byHead.set(key, (ids = []));
    ids.push(t.id);
    // Ids of evicted or merged templates are dropped lazily; this keeps a bucket within a small multiple of its live ids.
    if (ids.length > 2 * MAX_ACROSS_CANDIDATES && ids.length % MAX_ACROSS_CANDIDATES === 0) {
      const keep = ids.filter((id, i) => ids!.indexOf(id) === i && this.live.get(id)?.path.join('\u0001') === key);
      this.byHead.set(key, keep);
    }
  }

  /**
   * The template of another length `tokens` belongs to, if any: same leading route keys, a common prefix and suffix,
   * and a middle gap that is variables only on the short side and at most MAX_GAP_TOKENS tokens with at most one
   * constant, a unit word, on the long side (an empty short side needs a variable on the long one: an optional
   * `user=root` is another event). `… for root from` and `… for invalid user x from` stay two events.
   */
  private alignAcrossLengths(tokens: readonly string[]): Alignment | undefined {
    const depth = Math.min(this.options.prefixTokens, tokens.length);
    let key = '';
    for (let i = 0; i < depth; i++) key += (i > 0 ? '\u0001' : '') + this.routeKey(tokens[i]!);
    const ids = this.byHead.get(key);
    if (ids === undefined) return undefined;
    let best: Alignment | undefined;
    let bestSim = -1;
    let scanned = 0;
    // Bounded walk: a flood of new templates under one head must not make every new line scan all of them.
    for (let k = ids.length - 1, visited = 0; k >= 0 && scanned < MAX_ACROSS_CANDIDATES && visited < 4 * MAX_ACROSS_CANDIDATES; k--, visited++) {
      const t = this.live.get(ids[k]!);
      if (t === undefined || t.tokens.length === tokens.length || t.variants?.has(tokens.length)) continue;
      if (Math.abs(t.tokens.length - tokens.length) > MAX_GAP_TOKENS || (t.variants?.size ?? 0) >= this.options.maxLengthVariants) continue;
      scanned++;
      const a = alignGap(t.tokens, tokens);
      if (a === undefined || a.sim < this.options.similarityThreshold || a.sim <= bestSim) continue;
      best = { t, prefix: a.prefix, suffix: a.suffix };
      bestSim = a.sim;
    }
    return best;
  }

  /** Files `a.t` under the line's length too: the template's shape there is its own prefix and suffix around the line's gap. */
  private addVariant(a: Alignment, tokens: readonly string[], eventTimeMs: number): AddResult {
    const t = a.t;
    const shape = [...t.tokens.slice(0, a.prefix), ...tokens.slice(a.prefix, tokens.length - a.suffix), ...t.tokens.slice(t.tokens.length - a.suffix)];
    const path: string[] = [];
    const leaf = this.leafFor(shape, true, path)!;
    leaf.templateIds.push(t.id);
    (t.variants ??= new Map()).set(shape.length, { tokens: shape, path, leaf });
    this.touch(t, eventTimeMs);
    return { templateId: t.id, change: 'updated' };
  }

  /** A line matched the template's shape at another length: that shape generalises; the template's own text, shape and split state do not change. */
  private generaliseVariant(t: LiveTemplate, tokens: readonly string[]): AddResult {
    const shape = t.variants!.get(tokens.length)!.tokens;
    let changed = false;
    for (let i = 0; i < tokens.length; i++) {
      const tt = shape[i]!;
      const lt = tokens[i]!;
      if (tt === lt || tt === WILDCARD || (tt.endsWith(WILDCARD) && keyWildcardMatches(tt, lt))) continue;
      const key = keyOf(tt);
      shape[i] = key !== undefined && key === keyOf(lt) ? key + WILDCARD : WILDCARD;
      changed = true;
    }
    return { templateId: t.id, change: changed ? 'updated' : 'none' };
  }

  // A wildcard just born from two constant words starts counting the words it takes (a split candidate).
  private startValues(t: LiveTemplate, i: number, before: string, now: string): void {
    if (this.options.splitMaxValues <= 0) return;
    t.values ??= t.tokens.map(() => null);
    t.values[i] = isVariableToken(before) || isVariableToken(now) || before.includes('<') || now.includes('<')
      ? null
      : new Map([[before, t.count - 1], [now, 1]]);
  }

  private countValue(t: LiveTemplate, i: number, value: string): void {
    const values = t.values?.[i];
    if (values === undefined || values === null) return;
    if (value.includes('<')) {
      t.values![i] = null;
      return;
    }
    values.set(value, (values.get(value) ?? 0) + 1);
    if (values.size > this.options.splitMaxValues) t.values![i] = null;
  }

  /** Splits `t` at the first position whose few values each recur; the line goes to its value's child. */
  private maybeSplit(t: LiveTemplate, tokens: readonly string[], eventTimeMs: number): AddResult | undefined {
    if (t.values === undefined) return undefined;
    let constants = 0;
    for (const x of t.tokens) if (!x.includes('<')) constants++;
    if (constants > this.options.splitMaxConstants) return undefined;
    for (let i = 0; i < t.values.length; i++) {
      const values = t.values[i];
      if (values === null || values === undefined || values.size < 2) continue;
      let ready = true;
      for (const n of values.values()) if (n < this.options.splitMinLinesPerValue) ready = false;
      if (!ready) continue;
      t.values[i] = null;
      const into: number[] = [];
      let lineId = t.id;
      for (const [value, n] of [...values.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        const childTokens = [...t.tokens];
        childTokens[i] = value;
        const sig = signatureOf(childTokens);
        if (this.bySignature.has(sig)) continue;
        const child = this.create(childTokens, [...t.path], t.leaf, eventTimeMs, t.id);
        child.count = n;
        child.values = t.values.map((v, j) => (j === i || v === null ? null : new Map(v)));
        into.push(child.id);
        if (tokens[i] === value) lineId = child.id;
      }
      if (into.length === 0) return undefined;
      while (this.live.size > this.options.maxTemplates) this.evictOldest();
      return { templateId: this.resolve(lineId) ?? t.id, change: 'created', split: { from: t.id, into } };
    }
    return undefined;
  }

  /**
   * Re-files `t` under its new shape. A live template with the same shape elsewhere, or a sibling in its leaf that `t`
   * now covers (equal or wildcard at every position), is the same event: the two merge, the older id survives.
   */
  private reSign(t: LiveTemplate): { from: number; into: number } | undefined {
    if (this.bySignature.get(t.signature) === t.id) this.bySignature.delete(t.signature);
    t.signature = signatureOf(t.tokens);
    const twinId = this.bySignature.get(t.signature);
    let twin = twinId === undefined ? undefined : this.live.get(twinId);
    if (twin === undefined || twin.id === t.id) {
      twin = undefined;
      for (const id of t.leaf.templateIds) {
        const o = this.live.get(id);
        if (o !== undefined && o.id !== t.id && covers(t.tokens, o.tokens)) {
          twin = o;
          break;
        }
      }
    }
    if (twin === undefined) {
      this.bySignature.set(t.signature, t.id);
      return undefined;
    }
    const [keep, gone] = twin.id < t.id ? [twin, t] : [t, twin];
    keep.count += gone.count;
    keep.createdMs = Math.min(keep.createdMs, gone.createdMs);
    keep.lastSeenMs = Math.max(keep.lastSeenMs, gone.lastSeenMs);
    for (let i = 0; i < keep.tokens.length; i++) if (keep.tokens[i] !== gone.tokens[i]) keep.tokens[i] = WILDCARD;
    if (this.bySignature.get(keep.signature) === keep.id) this.bySignature.delete(keep.signature);
    keep.signature = signatureOf(keep.tokens);
    keep.values = undefined;
    keep.aliases = [...keep.aliases, gone.id, ...gone.aliases].slice(-MAX_ALIASES_PER_TEMPLATE);
    const moved = gone.variants;
    gone.variants = undefined;
    this.removeLive(gone);
    // The lines the other template took at other lengths are the survivor's now: its shapes there must cover them.
    for (const [length, v] of moved ?? []) {
      const mine = keep.variants?.get(length);
      const at = v.leaf.templateIds.indexOf(gone.id);
      if (mine !== undefined) {
        for (let i = 0; i < length; i++) if (mine.tokens[i] !== v.tokens[i]) mine.tokens[i] = WILDCARD;
        if (at >= 0) v.leaf.templateIds.splice(at, 1);
      } else if (length !== keep.tokens.length) {
        if (at >= 0) v.leaf.templateIds[at] = keep.id;
        else v.leaf.templateIds.push(keep.id);
        (keep.variants ??= new Map()).set(length, v);
      }
    }
    for (const a of [gone.id, ...gone.aliases]) this.aliasOf.set(a, keep.id);
    this.trimAliases();
    this.bySignature.set(keep.signature, keep.id);
    // The survivor is the most recently used.
    this.live.delete(keep.id);
    this.live.set(keep.id, keep);
    return { from: gone.id, into: keep.id };
  }

  private trimAliases(): void {
    const cap = this.options.maxTemplates * 4;
    while (this.aliasOf.size > cap) this.aliasOf.delete(this.aliasOf.keys().next().value as number);
  }

  private touch(t: LiveTemplate, eventTimeMs: number): void {
    t.count++;
    if (eventTimeMs > t.lastSeenMs) t.lastSeenMs = eventTimeMs;
    this.live.delete(t.id);
    this.live.set(t.id, t);
  }

  private routeKey(token: string): string {
    // A quoted value is a value, however many words it has: it never routes.
    if (isVariableToken(token) || token.startsWith('"')) return WILDCARD;
    // A key=value routes on its key: the value may vary, and values on different branches are never compared.
    return keyOf(token) ?? token;
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
      const shape = t.tokens.length === tokens.length ? t.tokens : t.variants?.get(tokens.length)?.tokens;
      if (shape === undefined) continue;
      let same = 0;
      let params = 0;
      let sameConstants = 0;
      for (let i = 0; i < tokens.length; i++) {
        const tt = shape[i]!;
        // A variable the masking already found (the line's own <*>) matches a variable position: without this,
        // lines made mostly of masked tokens could never reach the threshold and each became a new template.
        if (tt === WILDCARD) isVariableToken(tokens[i]!) ? same++ : params++;
        else if (tt === tokens[i]) { same++; sameConstants++; }
        else if (isVariableToken(tt) && isVariableToken(tokens[i]!)) same++;
        else if (tt.endsWith(WILDCARD) && keyWildcardMatches(tt, tokens[i]!)) params++;
      }
      // ... but a line must share at least one of the template's constants: variables alone say nothing of the event.
      if (sameConstants === 0 && params + same < shape.length) continue;
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
    for (const v of t.variants?.values() ?? []) {
      const j = v.leaf.templateIds.indexOf(t.id);
      if (j >= 0) v.leaf.templateIds.splice(j, 1);
    }
    this.live.delete(t.id);
    if (this.bySignature.get(t.signature) === t.id) this.bySignature.delete(t.signature);
  }

  private evictOldest(): number | undefined {
    const oldest = this.live.values().next().value as LiveTemplate | undefined;
    if (oldest === undefined) return undefined;
    this.removeLive(oldest);
    for (const a of oldest.aliases) this.aliasOf.delete(a);
    this.evictionCount++;
    return oldest.id;
  }
}

// `key=<*>` matches `key=anything`.
function keyWildcardMatches(template: string, token: string): boolean {
  const prefix = template.length - WILDCARD.length;
  return token.length > prefix && token.startsWith(template.slice(0, prefix)) && keyOf(template) !== undefined;
}

// Variable-like for the gap of an alignment: a mask class, a token holding one (`lifetime <<NUM>`), or the wildcard.
function gapVariable(token: string): boolean {
  return token.includes('<') && keyOf(token) === undefined;
}

/**
 * Aligns `template` and `line` of different lengths as prefix + gap + suffix; undefined when the gap is not one variable
 * of varying length. `sim` counts agreeing tokens (equal, or a variable on both sides) over the longer length.
 */
function alignGap(template: readonly string[], line: readonly string[]): { prefix: number; suffix: number; sim: number } | undefined {
  const lt = template.length;
  const ll = line.length;
  const min = Math.min(lt, ll);
  let same = 0;
  let sameConstants = 0;
  let prefix = 0;
  const agree = (a: string, b: string): boolean => {
    if (a === b) { same++; if (!isVariableToken(a)) sameConstants++; return true; }
    if (isVariableToken(a) && isVariableToken(b)) { same++; return true; }
    // Across lengths a template's `<*>` takes a variable only: letting it take a word would shift the word out of the
    // gap and hide it (`fp cr <*>` would take `fp cr field <*>`).
    return (a === WILDCARD && gapVariable(b)) || (a.endsWith(WILDCARD) && keyWildcardMatches(a, b));
  };
  while (prefix < min && agree(template[prefix]!, line[prefix]!)) prefix++;
  let suffix = 0;
  while (suffix < min - prefix && agree(template[lt - 1 - suffix]!, line[ll - 1 - suffix]!)) suffix++;
  if (sameConstants === 0) return undefined;
  const gapT = template.slice(prefix, lt - suffix);
  const gapL = line.slice(prefix, ll - suffix);
  const [short, long] = gapT.length <= gapL.length ? [gapT, gapL] : [gapL, gapT];
  if (long.length > MAX_GAP_TOKENS || !short.every(gapVariable)) return undefined;
  // The long side may hold one constant, and only a unit: a quantity written with more or fewer parts (`<*> h <*> min`).
  // Any other word there names a different event (`fp cr field <*>` vs `fp cr <*>`, `Node card(…)` vs `NodeCard(…)`).
  let constants = 0;
  for (const x of long) if (!gapVariable(x) && (++constants > 1 || !isUnitWord(x))) return undefined;
  if (short.length === 0 && !long.some(gapVariable)) return undefined;
  return { prefix, suffix, sim: same / Math.max(lt, ll) };
}

// True when every position of `specific` equals `general`'s or is a variable (of any class) in `general`.
function covers(general: readonly string[], specific: readonly string[]): boolean {
  if (general.length !== specific.length) return false;
  for (let i = 0; i < general.length; i++) {
    const g = general[i]!;
    if (g !== specific[i] && !isVariableToken(g)) return false;
  }
  return true;
}

/** A template's shape: every variable class reads `<*>`. Two live templates never share one. */
export function signatureOf(tokens: readonly string[]): string {
  let s = '';
  for (const t of tokens) s += (isVariableToken(t) ? WILDCARD : t) + '\u0001';
  return s;
}

function toRecord(t: LiveTemplate): TemplateRecord {
  return {
    id: t.id, tokens: [...t.tokens], count: t.count, createdMs: t.createdMs, lastSeenMs: t.lastSeenMs, path: [...t.path],
    ...(t.aliases.length > 0 ? { aliases: [...t.aliases] } : {}),
    ...(t.origin !== undefined ? { origin: t.origin } : {}),
    ...(t.values !== undefined ? { values: t.values.map((v) => (v === null ? null : [...v.entries()])) } : {}),
    ...(t.variants !== undefined && t.variants.size > 0 ? { variants: [...t.variants.values()].map((v) => ({ tokens: [...v.tokens], path: [...v.path] })) } : {}),
  };
}
