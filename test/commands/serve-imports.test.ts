// Checks what `serve` loads at start-up: the static import graph of src/commands/serve.ts must not
// reach code only one mode uses (issue 12: a sidecar with --api keeps only what it runs in memory).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Specifiers a file imports at load time: `import type`, all-type named imports and `import()` are left out. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        named !== undefined &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) out.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      out.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return out;
}

/** Every module loaded with `entry` (a path under src/): project files as `src/…`, packages by name. */
function loadedWith(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [join(ROOT, entry)];
  for (let file = todo.pop(); file !== undefined && seen.size < 2_000; file = todo.pop()) {
    const name = relative(ROOT, file);
    if (seen.has(name)) continue;
    seen.add(name);
    for (const spec of staticImports(file)) {
      if (spec.startsWith(".")) todo.push(resolve(dirname(file), spec).replace(/\.js$/, ".ts"));
      else if (!spec.startsWith("node:"))
        seen.add(spec.startsWith("@") ? spec.split("/", 2).join("/") : spec.split("/")[0]!);
    }
  }
  return seen;
}

describe("modules serve loads at start-up", () => {
  const serve = loadedWith("src/commands/serve.ts");

  const absent: { name: string; module: string }[] = [
    { name: "the simulator (only without --api)", module: "src/simulator/index.ts" },
    { name: "the simulator's engine", module: "src/simulator/simulator.ts" },
    { name: "client identity mode (only with --identity-mode client)", module: "src/assemble-clients.ts" },
    { name: "the admin app (only with --admin-listen)", module: "src/http/admin.ts" },
    { name: "the password prompt (only with a password of -)", module: "src/commands/prompt.ts" },
    { name: "pino-pretty (only with text logs)", module: "pino-pretty" },
  ];
  for (const row of absent) {
    it(`leaves out ${row.name}`, () => {
      assert.ok(!serve.has(row.module), `${row.module} is imported statically from src/commands/serve.ts`);
    });
  }

  it("still follows the imports it must: the walk reaches the proxy and its libraries", () => {
    for (const m of ["src/assemble.ts", "src/http/app.ts", "src/session/manager.ts", "pino", "hono"]) {
      assert.ok(serve.has(m), `${m} not found in the import graph of src/commands/serve.ts`);
    }
  });

  it("would notice a static import: simulate loads the simulator at start-up", () => {
    assert.ok(loadedWith("src/commands/simulate.ts").has("src/simulator/simulator.ts"));
  });
});
