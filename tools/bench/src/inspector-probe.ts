/**
 * InspectorProbe: looks inside a broker process started with `--inspect=127.0.0.1:0`, through the
 * V8 inspector protocol over its WebSocket: `process.memoryUsage()` (heap, external, array
 * buffers) with or without a forced full GC first, and heap snapshots summarized by constructor.
 * For finding what grows in the broker (the memory benchmark's --probe and --heap-snapshot).
 *
 * One request at a time is enough for a benchmark: each call awaits its answer by id. The broker's
 * event loop runs the evaluations, so a probe adds a little work to the process it measures.
 */
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';

export interface MemoryBreakdown {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** The inspector URL a process started with --inspect prints on stderr. */
export function inspectorUrl(output: string): string | null {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1] ?? null;
}

export class InspectorProbe {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, (params: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message: string } }; // the inspector's JSON
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) this.listeners.get(msg.method)?.(msg.params);
    });
  }

  static async connect(url: string): Promise<InspectorProbe> {
    const ws = new WebSocket(url, { maxPayload: 1024 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new InspectorProbe(ws);
  }

  private call(method: string, params: object = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** process.memoryUsage() of the inspected process, after a full GC when `gc`. */
  async memoryUsage(gc: boolean): Promise<MemoryBreakdown> {
    if (gc) await this.call('HeapProfiler.collectGarbage');
    return JSON.parse(await this.evaluate('JSON.stringify(process.memoryUsage())')) as MemoryBreakdown;
  }

  /** V8's heap spaces of the inspected process: committed and used bytes of each. */
  async heapSpaces(): Promise<Array<{ space: string; committed: number; used: number }>> {
    const json = await this.evaluate(
      "JSON.stringify(process.mainModule.require('node:v8').getHeapSpaceStatistics().map((s) => ({ space: s.space_name, committed: s.physical_space_size, used: s.space_used_size })))",
    );
    return JSON.parse(json) as Array<{ space: string; committed: number; used: number }>;
  }

  /** Evaluates `expression` (which must yield a string) in the inspected process's global scope. */
  private async evaluate(expression: string): Promise<string> {
    const result = (await this.call('Runtime.evaluate', { expression, returnByValue: true })) as { result: { value: string }; exceptionDetails?: { text: string } };
    if (result.exceptionDetails) throw new Error(`inspector evaluation failed: ${result.exceptionDetails.text}`);
    return result.result.value;
  }

  /** Writes a heap snapshot (after a full GC, as V8 always takes them) to `file`. */
  async heapSnapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.listeners.set('HeapProfiler.addHeapSnapshotChunk', (params) => out.write((params as { chunk: string }).chunk));
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    this.listeners.delete('HeapProfiler.addHeapSnapshotChunk');
    await this.call('HeapProfiler.disable');
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }

  /** Starts V8's sampling heap profiler: every allocation (garbage included) is sampled by size. */
  async startAllocationSampling(): Promise<void> {
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.startSampling', { samplingInterval: 32768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }

  /** Stops sampling; returns the sampled bytes allocated per function (file:line), heaviest first. */
  async stopAllocationSampling(top: number): Promise<Array<{ site: string; bytes: number }>> {
    const { profile } = (await this.call('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
    const sites = new Map<string, number>();
    const walk = (node: SamplingNode) => {
      const f = node.callFrame;
      const site = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${f.lineNumber + 1}`;
      if (node.selfSize > 0) sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
      for (const child of node.children) walk(child);
    };
    walk(profile.head);
    return [...sites].map(([site, bytes]) => ({ site, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, top);
  }

  close(): void {
    this.ws.close();
    for (const p of this.pending.values()) p.reject(new Error('inspector closed'));
    this.pending.clear();
  }
}

export interface SnapshotGroup {
  /** Node type and name: a constructor, "(string)", "system / JSArrayBufferData"... */
  name: string;
  count: number;
  /** Sum of self sizes (for array buffer data: their bytes). */
  bytes: number;
}

/** The heaviest groups of a .heapsnapshot file by summed self size. */
export async function summarizeHeapSnapshot(file: string, top: number): Promise<SnapshotGroup[]> {
  const snapshot = JSON.parse(await readFile(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  }; // V8's documented snapshot layout
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, SnapshotGroup>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!]!;
    const name = type === 'object' || type === 'native' || type === 'closure' ? `${type} ${strings[nodes[i + nameAt]!]!.slice(0, 60)}` : `(${type})`;
    const g = groups.get(name) ?? { name, count: 0, bytes: 0 };
    g.count++;
    g.bytes += nodes[i + sizeAt]!;
    groups.set(name, g);
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top);
}
