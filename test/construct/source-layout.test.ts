/**
 * The source tree keeps its rules: no import circle; the shared code (src/shared/) imports no
 * AWS SDK and no construct library; the construct side (src/*.ts, src/private/) imports no
 * handler code but the generated function, and no AWS SDK (it would load it in every CDK app).
 */
import { readFileSync, readdirSync, statSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

const SRC = join(__dirname, '..', '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module a file imports (`import ... from`, `export ... from`), relative ones resolved to their file. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g)].map((m) => m[1])
    .map((spec) => (spec.startsWith('.') ? relative(SRC, normalize(join(dirname(file), `${spec}.ts`))) : spec));
}

const graph = new Map(files(SRC).map((f) => [relative(SRC, f), imports(f)]));

test('no import circle in src/', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  expect(cycles).toEqual([]);
  // The check sees the imports it must see.
  expect(graph.get('exporter.ts')).toContain('private/props.ts');
});

test('src/shared/ imports no AWS SDK and no construct library; the construct side no handler code and no SDK', () => {
  const offending: string[] = [];
  for (const [file, deps] of graph) {
    const shared = file.startsWith('shared/');
    const construct = !file.includes('/') || file.startsWith('private/');
    for (const dep of deps) {
      if ((shared || construct) && /^@aws-sdk\/|^@aws-lambda-powertools\//.test(dep)) offending.push(`${file} imports ${dep}`);
      if (shared && /^aws-cdk-lib|^constructs$/.test(dep)) offending.push(`${file} imports ${dep}`);
      if (construct && dep.startsWith('handler/') && dep !== 'handler/exporter-function.ts') offending.push(`${file} imports ${dep}`);
    }
  }
  expect(offending).toEqual([]);
  expect([...graph.keys()].filter((f) => f.startsWith('shared/')).sort()).toEqual(['shared/config.ts', 'shared/layout.ts', 'shared/protocol.ts', 'shared/retention.ts', 'shared/windows.ts']);
});
