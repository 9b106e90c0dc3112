// Owns the IP tables: the shared network's `ip/reservation` and `ip/association` (name generated),
// and the IP networks' `network/v1/ipnetwork`, `network/v1/ipreservation`, `network/v1/ipassociation`
// and read-only `network/v1/vnic` (made by launch plans); fields from go-oracle-terraform
// compute/ip_reservations.go, ip_associations.go, ip_networks.go, ip_address_*.go and virtual_nic.go.

import { createHash } from "node:crypto";
import { badRequest, KindError, refTo, type KindTable } from "../kind.js";
import { customerOf } from "../users.js";
import { nameOrGenerated } from "./security.js";

/** A stable public address derived from a name, so repeated reads agree. */
function publicIp(name: string, first: number): string {
  const h = createHash("sha256").update(name).digest();
  return `${first}.${h[0]!}.${h[1]!}.${(h[2]! % 254) + 1}`;
}

const IPPOOL = "ippool:/oracle/public/ippool";
const RESERVATION = "ipreservation:";

export const ipReservationTable: KindTable = {
  type: "ip/reservation",
  label: "IP reservation",
  ops: { create: true, update: true, delete: true },
  fields: {
    parentpool: { type: "string", required: true, values: ["/oracle/public/ippool"] },
    permanent: { type: "boolean", required: true },
    tags: { type: "string[]", default: [] },
  },
  key: nameOrGenerated,
  init: (_f, key) => ({ account: `/${customerOf(key)}/default`, ip: publicIp(key, 129), quota: null }),
  render: (obj, ctx) => ({
    used: ctx.store.list("ip/association", "").some((a) => a.fields.parentpool === `${RESERVATION}${obj.key}`),
  }),
};

export const ipAssociationTable: KindTable = {
  type: "ip/association",
  label: "IP association",
  ops: { create: true, delete: true },
  fields: {
    parentpool: {
      type: "string",
      required: true,
      ref: refTo("ip/reservation", "IP reservation", { prefix: RESERVATION }),
    },
    vcable: {
      type: "string",
      required: true,
      ref: { label: "Vcable", deletable: true, to: (v) => ({ type: "instance", field: "vcable_id", value: v }) },
    },
  },
  key: (_f, ctx) => `${ctx.user}/${ctx.newId()}`,
  check(f, ctx) {
    const pool = String(f.parentpool);
    if (pool !== IPPOOL && !pool.startsWith(RESERVATION))
      return badRequest(`Field "parentpool" must be ${RESERVATION}<name> or ${IPPOOL}`);
    const taken =
      pool.startsWith(RESERVATION) && ctx.store.list("ip/association", "").find((a) => a.fields.parentpool === pool);
    return taken
      ? new KindError(409, `Conflict: IP reservation ${pool.slice(RESERVATION.length)} is already associated`)
      : undefined;
  },
  init(f, key, ctx) {
    const pool = String(f.parentpool);
    const reservation = pool.startsWith(RESERVATION) ? pool.slice(RESERVATION.length) : "";
    const ip = reservation ? ctx.store.get("ip/reservation", reservation)?.fields.ip : publicIp(key, 140);
    return { account: `/${customerOf(key)}/default`, reservation, ip };
  },
};

export const ipNetworkTable: KindTable = {
  type: "network/v1/ipnetwork",
  label: "IP network",
  ops: { create: true, update: true, delete: true },
  fields: {
    ipAddressPrefix: { type: "string", required: true },
    ipNetworkExchange: { type: "string" },
    description: { type: "string", default: "" },
    publicNaptEnabledFlag: { type: "boolean", default: false },
    tags: { type: "string[]", default: [] },
  },
  check: (f) =>
    /^(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(String(f.ipAddressPrefix))
      ? undefined
      : badRequest('Field "ipAddressPrefix" must be an IPv4 CIDR block like 192.168.0.0/24'),
};

export const ipAddressReservationTable: KindTable = {
  type: "network/v1/ipreservation",
  label: "IP address reservation",
  ops: { create: true, update: true, delete: true },
  fields: {
    ipAddressPool: {
      type: "string",
      values: ["/oracle/public/public-ippool", "/oracle/public/cloud-ippool"],
      default: "/oracle/public/public-ippool",
      updatable: false,
    },
    description: { type: "string", default: "" },
    tags: { type: "string[]", default: [] },
  },
  init: (_f, key) => ({ ipAddress: publicIp(key, 130) }),
};

export const vnicTable: KindTable = {
  type: "network/v1/vnic",
  label: "virtual NIC",
  ops: {},
  fields: {},
  hidden: ["instance"],
};

export const ipAddressAssociationTable: KindTable = {
  type: "network/v1/ipassociation",
  label: "IP address association",
  ops: { create: true, delete: true },
  fields: {
    ipAddressReservation: {
      type: "string",
      required: true,
      ref: refTo("network/v1/ipreservation", "IP address reservation"),
    },
    vnic: { type: "string", required: true, ref: refTo("network/v1/vnic", "Virtual NIC", { deletable: true }) },
    description: { type: "string", default: "" },
    tags: { type: "string[]", default: [] },
  },
  unique: [["ipAddressReservation"]],
};
