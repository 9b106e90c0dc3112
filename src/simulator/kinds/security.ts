// Owns the security tables of the shared network: `seclist`, `secrule`, `secapplication` (Oracle's
// defaults are seeded under /oracle/public/), `secassociation` and `seciplist`; fields from
// go-oracle-terraform compute/security_lists.go, sec_rules.go, security_applications.go,
// security_associations.go and security_ip_lists.go.

import { badRequest, refTo, type KindContext, type KindTable, type RefRule } from "../kind.js";
import { badName, isMultipartName } from "../resources.js";
import { customerOf } from "../users.js";

const POLICIES = ["deny", "reject", "permit", "DENY", "REJECT", "PERMIT"];
const PROTOCOLS = [
  "all",
  "ah",
  "esp",
  "icmp",
  "igmp",
  "ipip",
  "gre",
  "mplsip",
  "ospf",
  "pim",
  "rdp",
  "sctp",
  "tcp",
  "udp",
];

/** `seclist:<name>` or `seciplist:<name>`, as a secrule's src_list and dst_list are written. */
const listRef: RefRule = {
  label: "Security list",
  to(v) {
    const m = /^(seclist|seciplist):(.+)$/.exec(v);
    return m ? { type: m[1]!, key: m[2]! } : undefined;
  },
};

/** The body's name, or one the API generates under the caller's user when it is omitted. */
export function nameOrGenerated(f: Record<string, unknown>, ctx: KindContext): string | ReturnType<typeof badName> {
  if (f.name === undefined) return `${ctx.user}/${ctx.newId()}`;
  return isMultipartName(f.name) ? f.name : badName();
}

const account = (key: string) => ({ account: `/${customerOf(key)}/default` });

export const seclistTable: KindTable = {
  type: "seclist",
  label: "security list",
  ops: { create: true, update: true, delete: true },
  fields: {
    description: { type: "string", default: "" },
    policy: { type: "string", values: POLICIES, default: "deny" },
    outbound_cidr_policy: { type: "string", values: POLICIES, default: "permit" },
  },
  init: (_f, key) => ({ ...account(key), group_id: String(1000 + key.length) }),
};

export const seciplistTable: KindTable = {
  type: "seciplist",
  label: "security IP list",
  ops: { create: true, update: true, delete: true },
  fields: {
    secipentries: { type: "string[]", required: true },
    description: { type: "string", default: "" },
  },
  check: (f) =>
    (f.secipentries as string[]).every((e) => /^[0-9.]+(?:\/\d{1,2})?$/.test(e))
      ? undefined
      : badRequest('Field "secipentries" must hold IPv4 addresses or CIDR blocks'),
  init: (_f, key) => ({ group_id: String(key.length + 2000) }),
};

export const secapplicationTable: KindTable = {
  type: "secapplication",
  label: "security application",
  ops: { create: true, delete: true },
  fields: {
    protocol: { type: "string", required: true, values: PROTOCOLS },
    dport: { type: "string", default: "" },
    icmptype: { type: "string", values: ["echo", "reply", "ttl", "traceroute", "unreachable", ""], default: "" },
    icmpcode: { type: "string", values: ["admin", "df", "host", "network", "port", "protocol", ""], default: "" },
    description: { type: "string", default: "" },
  },
  check: (f) =>
    (f.protocol === "tcp" || f.protocol === "udp") && !/^\d+(?:-\d+)?$/.test(String(f.dport))
      ? badRequest('Field "dport" must be a port or range like 8000-8080 for tcp and udp')
      : undefined,
};

export const secruleTable: KindTable = {
  type: "secrule",
  label: "security rule",
  ops: { create: true, update: true, delete: true },
  fields: {
    action: { type: "string", required: true, values: ["PERMIT", "permit"] },
    application: { type: "string", required: true, ref: refTo("secapplication", "Security application") },
    src_list: { type: "string", required: true, ref: listRef },
    dst_list: { type: "string", required: true, ref: listRef },
    disabled: { type: "boolean", default: false },
    description: { type: "string", default: "" },
  },
  check(f) {
    for (const field of ["src_list", "dst_list"]) {
      if (!listRef.to(String(f[field])))
        return badRequest(`Field "${field}" must be seclist:<name> or seciplist:<name>`);
    }
    return undefined;
  },
};

export const secassociationTable: KindTable = {
  type: "secassociation",
  label: "security association",
  ops: { create: true, delete: true },
  fields: {
    seclist: { type: "string", required: true, ref: refTo("seclist", "Security list") },
    vcable: {
      type: "string",
      required: true,
      ref: { label: "Vcable", deletable: true, to: (v) => ({ type: "instance", field: "vcable_id", value: v }) },
    },
  },
  unique: [["seclist", "vcable"]],
  key: nameOrGenerated,
};
