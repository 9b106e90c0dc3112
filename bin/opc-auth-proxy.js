#!/usr/bin/env node
// Entry point of the `opc-auth-proxy` command: runs the compiled CLI (npm run build makes dist/).
import("../dist/cli.js").then(
  (cli) => cli.runCli(),
  (err) => {
    if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist")) {
      console.error("opc-auth-proxy: dist/ is missing; run `npm run build` (npm start does it for you)");
      process.exit(1);
    }
    throw err;
  },
);
