// Owns the hint for a newcomer's address flag: other proxies take --port 8090 or --address 0.0.0.0,
// this one takes the address and port together in --listen HOST:PORT.

/** Flags other proxies use for the address: --port 8090, --address 0.0.0.0, --host, --bind. */
const ADDRESS_FLAGS = /^--(port|address|addr|host|bind)(=|$)/;

/**
 * Rewrites in place each "Unknown option '--port'" (or --address, --host, --bind) in `problems` to
 * add the --listen form that does what was meant, dropping the stray argument its value became.
 */
export function hintListenForm(argv: readonly string[], problems: string[]): void {
  for (let i = 0; i < problems.length; i++) {
    const flag = /Unknown option '(--[\w-]+)'/.exec(problems[i]!)?.[1];
    if (!flag || !ADDRESS_FLAGS.test(flag)) continue;
    const at = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    const given = argv[at]?.includes("=") ? argv[at]!.split("=")[1] : argv[at + 1];
    const example = /^port$/.test(flag.slice(2))
      ? `--listen 127.0.0.1:${given ?? "8080"}`
      : `--listen ${given && !given.startsWith("-") ? given : "127.0.0.1"}:8080`;
    if (!argv[at]!.includes("=") && given !== undefined) {
      // The flag's value was read as a stray argument: one problem is enough.
      const stray = problems.indexOf(`unexpected argument "${given}"; see --help`);
      if (stray > i) problems.splice(stray, 1);
    }
    problems[i] =
      `${problems[i]!.replace(/; see --help$/, "")}; the address and port go together in --listen HOST:PORT, e.g. ${example} (env OPC_PROXY_LISTEN)`;
  }
}
