// Owns the catalogue the simulator is seeded with, modelled on the real service's entries: shapes,
// Oracle's public image lists (with entry 1) and machine images, security applications and IP lists.

import type { ObjectStore } from "./store.js";

/** [name, OCPUs, RAM in GB]; the API reports vCPUs (two per OCPU) and RAM in MB. */
const SHAPES: ReadonlyArray<readonly [string, number, number]> = [
  ["oc3", 1, 7.5],
  ["oc4", 2, 15],
  ["oc5", 4, 30],
  ["oc6", 8, 60],
  ["oc7", 16, 120],
  ["oc1m", 1, 15],
  ["oc2m", 2, 30],
  ["oc3m", 4, 60],
  ["oc4m", 8, 120],
  ["oc5m", 16, 240],
];

/** [image list, description, machine image version]. */
const IMAGES: ReadonlyArray<readonly [string, string, string]> = [
  ["/oracle/public/OL_7.2_UEKR4_x86_64", "Oracle Linux 7.2 UEK4 (x86_64)", "17.1.6-20170222-185427"],
  ["/oracle/public/OL_7.6_UEKR5_x86_64", "Oracle Linux 7.6 UEK5 (x86_64)", "19.1.2-20190215-212845"],
  ["/oracle/public/OL_6.8_UEKR4_x86_64", "Oracle Linux 6.8 UEK4 (x86_64)", "16.4.5-20161028-181412"],
  ["/oracle/public/Oracle_Solaris_11.3", "Oracle Solaris 11.3", "16.3.0-20160715-140233"],
  ["/oracle/public/Win2012_R2_Std_x64", "Windows Server 2012 R2 Standard (x64)", "17.2.1-20170410-100342"],
];

/** [name, protocol, dport] of Oracle's predefined security applications. */
const APPLICATIONS: ReadonlyArray<readonly [string, string, string]> = [
  ["all", "all", ""],
  ["ssh", "tcp", "22"],
  ["http", "tcp", "80"],
  ["https", "tcp", "443"],
  ["rdp", "tcp", "3389"],
  ["dns-tcp", "tcp", "53"],
  ["dns-udp", "udp", "53"],
  ["ping", "icmp", ""],
];

/** [name, entries] of Oracle's predefined security IP lists. */
const IP_LISTS: ReadonlyArray<readonly [string, string[]]> = [
  ["public-internet", ["0.0.0.0/0"]],
  ["site", ["10.0.0.0/8"]],
];

/** Seeds the catalogue every simulator starts with; seeded objects do not count against maxObjects. */
export function seedCatalog(store: ObjectStore, now: number): void {
  for (const [name, ocpus, ramGb] of SHAPES) {
    store.seed(
      "shape",
      `/${name}`,
      {
        name,
        cpus: ocpus * 2,
        ram: ramGb * 1024,
        gpus: 0,
        io: 200 * ocpus,
        is_root_ssd: false,
        root_disk_size: 0,
        ssd_data_size: 0,
        nds_iops_limit: 0,
        placement_requirements: [],
      },
      now,
    );
  }
  for (const [name, description, version] of IMAGES) {
    const image = `${name}-${version}`;
    store.seed("machineimage", image, machineImage(image, description), now);
    store.seed("imagelist", name, { name, description, default: 1 }, now);
    const entry = { attributes: {}, imagelist: name, machineimages: [image], version: 1 };
    store.seed("imagelistentry", `${name}/entry/1`, entry, now);
  }
  for (const [name, protocol, dport] of APPLICATIONS) {
    const key = `/oracle/public/${name}`;
    const icmptype = protocol === "icmp" ? "echo" : "";
    store.seed("secapplication", key, { name: key, protocol, dport, icmptype, icmpcode: "", description: "" }, now);
  }
  for (const [name, secipentries] of IP_LISTS) {
    const key = `/oracle/public/${name}`;
    store.seed("seciplist", key, { name: key, secipentries, description: "", group_id: "1" }, now);
  }
}

function machineImage(name: string, description: string): Record<string, unknown> {
  return {
    name,
    description,
    account: "/oracle/public/default",
    attributes: {},
    audited: null,
    error_reason: "",
    hypervisor: { mode: "hvm" },
    image_format: "raw",
    file: null,
    no_upload: true,
    platform: name.includes("Win") ? "windows" : name.includes("Solaris") ? "solaris" : "linux",
    sizes: { total: 21474836480, decompressed: 21474836480, uploaded: 2147483648 },
    state: "available",
  };
}
