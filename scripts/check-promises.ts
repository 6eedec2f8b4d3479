// Floating-promise check (TypeScript's compiler API, no linter dependency): reports every expression statement
// in the given roots whose value is a Promise that is neither awaited, returned, handled with .then/.catch/.finally nor
// explicitly discarded with `void`. The store is asynchronous: a forgotten `await` on a write would run it
// outside its transaction. `bun scripts/check-promises.ts [dir...]` (default: src); test/gateway.test.ts runs it.
import ts from 'typescript';
import { resolve } from 'node:path';

export function floatingPromises(roots: string[], tsconfig = 'tsconfig.json'): string[] {
  const cfg = ts.getParsedCommandLineOfConfigFile(resolve(tsconfig), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!cfg) throw new Error(`cannot read ${tsconfig}`);
  const dirs = roots.map((r) => resolve(r) + '/');
  const program = ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options });
  const checker = program.getTypeChecker();
  const out: string[] = [];
  const isPromise = (t: ts.Type): boolean => {
    if (t.isUnion()) return t.types.some(isPromise);
    const name = t.getSymbol()?.getName();
    return name === 'Promise' || name === 'PromiseLike';
  };
  for (const sf of program.getSourceFiles()) {
    if (!dirs.some((d) => sf.fileName.startsWith(d))) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        const e = node.expression;
        const chained = ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && ['then', 'catch', 'finally'].includes(e.expression.name.text);
        const call = (ts.isCallExpression(e) || ts.isNewExpression(e)) && !chained;
        if (call && isPromise(checker.getTypeAtLocation(e))) {
          const { line, character } = sf.getLineAndCharacterOfPosition(e.getStart(sf));
          out.push(`${sf.fileName.slice(process.cwd().length + 1)}:${line + 1}:${character + 1}: ${e.getText(sf).slice(0, 90)}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

if (import.meta.main) {
  const roots = process.argv.slice(2);
  const found = floatingPromises(roots.length ? roots : ['src']);
  for (const f of found) console.log(f);
  console.log(found.length ? `${found.length} floating promise(s): await them, return them, or discard with \`void\`` : 'no floating promises');
  process.exit(found.length ? 1 : 0);
}
