import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/** Every `.ts` file under `dir`, recursively. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

/**
 * The relative imports of each file (static, `import type`, re-exports and
 * dynamic `import()` alike: a cycle through any of them is a cycle), as paths
 * relative to `root`. Bare specifiers (packages) are left out.
 */
export function importGraph(root: string, files: readonly string[]): Map<string, string[]> {
  const known = new Set(files.map((f) => resolve(f)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const edges: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const base = resolve(dirname(file), fileName);
      const target = [base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")].find(
        (c) => known.has(c),
      );
      if (target) edges.push(relative(root, target));
    }
    graph.set(relative(root, file), [...new Set(edges)].sort());
  }
  return graph;
}

/**
 * The graph between folders ("rooms"): an edge from a file's folder to the
 * folder of each file it imports. A folder composing its own subfolders
 * (`envoy/index.ts` re-exporting `envoy/generate/`) is the one direction that
 * is left out: a cycle through it is still a file-level cycle, found by
 * {@link importCycles} on the file graph.
 */
export function folderGraph(graph: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = dirname(file);
    const edges = folders.get(from) ?? new Set<string>();
    folders.set(from, edges);
    for (const t of targets) {
      const to = dirname(t);
      if (to !== from && !to.startsWith(`${from}/`)) edges.add(to);
    }
  }
  return new Map([...folders].map(([f, e]) => [f, [...e].sort()]));
}

/**
 * The import cycles of a graph: one path per strongly connected component
 * with more than one file (or a file importing itself), e.g.
 * `a.ts → b.ts → a.ts`. Tarjan's algorithm; empty when imports run one way.
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((c) => cyclePath(graph, new Set(c)));
}

/** One concrete cycle inside a strongly connected component, for the error message. */
function cyclePath(graph: ReadonlyMap<string, readonly string[]>, members: Set<string>): string[] {
  const start = [...members].sort()[0] as string;
  // Breadth-first from start back to start, staying inside the component.
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let x: string | undefined = v; x !== undefined && x !== start; x = prev.get(x))
          path.splice(1, 0, x);
        return [...path, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
