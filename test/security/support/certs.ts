// Makes a throw-away self-signed certificate at test time with the system's openssl, for a local
// HTTPS stand-in of the API (Node has no certificate generator of its own).

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface TestCert {
  key: string;
  cert: string;
  /** The certificate as a file, for --ca-file. */
  certPath: string;
  dispose(): Promise<void>;
}

/** A P-256 certificate valid for two days for the given names (DNS names and IP addresses). */
export async function selfSigned(names: { dns?: string[]; ip?: string[] }): Promise<TestCert> {
  const dir = await mkdtemp(join(tmpdir(), "opc-cert-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  const san = [...(names.dns ?? []).map((d) => `DNS:${d}`), ...(names.ip ?? []).map((i) => `IP:${i}`)].join(",");
  await promisify(execFile)(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      "/CN=opc-auth-proxy test API",
      "-addext",
      `subjectAltName=${san}`,
    ],
    { timeout: 20_000 },
  );
  return {
    key: await readFile(keyPath, "utf8"),
    cert: await readFile(certPath, "utf8"),
    certPath,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
