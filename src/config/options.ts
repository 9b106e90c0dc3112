// Owns the mechanics shared by every command's configuration: flags read token by token (every
// problem reported, not just the first), the environment variables behind each flag (a flag beats
// a variable), and the value parsers (values.ts) re-exported for older importers.

import { parseArgs } from "node:util";

// Older importers take the value parsers from here; new code imports ./values.js.
export * from "./values.js";

export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /** Environment variables that set this option, the preferred one first. */
  env?: readonly string[];
}

export type OptionTable = Record<string, OptionSpec>;

export interface Parsed {
  /** Value and where it came from ("--flag" or "VAR"), for messages. */
  get(name: string): { value: string; from: string } | undefined;
  getAll(name: string): Array<{ value: string; from: string }>;
  flag(name: string): boolean;
  positionals: string[];
  /** Every problem found, each naming its flag, argument or variable; later checks add theirs here. */
  problems: string[];
}

/**
 * Reads `argv` against `table`, with `env` behind each flag. Never throws: unknown options, values
 * missing or given to a boolean, and stray arguments (unless `allowPositionals`) each become one
 * entry of `problems`, so `--token-ttl -5 --bogus` reports both. A repeated flag keeps its last
 * value unless the spec says `multiple`.
 */
export function parseOptions(
  argv: string[],
  table: OptionTable,
  env: NodeJS.ProcessEnv,
  allowPositionals = false,
): Parsed {
  const { values, positionals, problems } = scan(argv, table);
  if (!allowPositionals) for (const p of positionals) problems.push(`unexpected argument "${p}"; see --help`);
  const envValue = (name: string): { value: string; from: string } | undefined => {
    for (const v of table[name]?.env ?? []) {
      const val = env[v];
      if (val !== undefined && val !== "") return { value: val, from: v };
    }
    return undefined;
  };
  return {
    get(name) {
      const last = values.get(name)?.at(-1);
      if (typeof last === "string") return { value: last, from: `--${name}` };
      return envValue(name);
    },
    getAll(name) {
      const fromFlags = (values.get(name) ?? [])
        .filter((x): x is string => typeof x === "string")
        .map((value) => ({ value, from: `--${name}` }));
      if (fromFlags.length > 0) return fromFlags;
      const e = envValue(name);
      return e
        ? e.value
            .split(",")
            .map((x) => x.trim())
            .filter(Boolean)
            .map((value) => ({ value, from: e.from }))
        : [];
    },
    flag(name) {
      if (values.get(name)?.includes(true)) return true;
      const e = envValue(name);
      if (e === undefined) return false;
      if (/^(1|true|yes|on)$/i.test(e.value)) return true;
      if (!/^(0|false|no|off)$/i.test(e.value)) {
        problems.push(`${e.from}: "${e.value.slice(0, 40)}" is not a boolean; use true or false`);
      }
      return false;
    },
    positionals,
    problems,
  };
}

interface Scanned {
  values: Map<string, Array<string | true>>;
  positionals: string[];
  problems: string[];
}

/**
 * node:util's parseArgs in strict mode stops at the first problem, and in loose mode takes the next
 * flag as a missing value (`--token-ttl --bogus`). So a string flag is first paired with its value
 * here, then the rest is tokenised loosely and each token checked against the table.
 */
function scan(argv: readonly string[], table: OptionTable): Scanned {
  const problems: string[] = [];
  const byShort = new Map(Object.entries(table).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])));
  const isFlag = (arg: string) => arg.startsWith("--") || (arg.length === 2 && byShort.has(arg[1]!));
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const name = /^--([^=]+)$/.exec(arg)?.[1] ?? (/^-[^-]$/.test(arg) ? byShort.get(arg[1]!) : undefined);
    const next = argv[i + 1];
    if (name === undefined || table[name]?.type !== "string" || (next !== undefined && !/^-./.test(next))) {
      args.push(arg);
      continue;
    }
    if (next === undefined || isFlag(next)) {
      problems.push(`${arg} needs a value; see --help`);
    } else {
      // "-5": meant as the value, but it reads like an option; say how to write it.
      problems.push(`${arg} needs a value; to give one that starts with a dash, write ${arg}=${next}`);
      i++;
    }
  }

  const options = Object.fromEntries(
    Object.entries(table).map(([name, s]) => [name, { type: s.type, ...(s.short ? { short: s.short } : {}) }]),
  );
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const values = new Map<string, Array<string | true>>();
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === "positional") positionals.push(t.value);
    if (t.kind !== "option") continue;
    const spec = Object.hasOwn(table, t.name) ? table[t.name] : undefined;
    if (!spec) problems.push(`Unknown option '${t.rawName}'; see --help`);
    else if (spec.type === "boolean" && t.value !== undefined)
      problems.push(`${t.rawName} does not take a value; see --help`);
    else if (spec.type === "string" && t.value === undefined) problems.push(`${t.rawName} needs a value; see --help`);
    else {
      const list = values.get(t.name) ?? [];
      values.set(t.name, spec.multiple ? [...list, t.value ?? true] : [t.value ?? true]);
    }
  }
  return { values, positionals, problems };
}
