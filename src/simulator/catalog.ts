// Owns the read-only catalogue the simulator is seeded with: `shape` (machine sizes) and
// `imagelist` (Oracle's public images under /oracle/public/), modelled on the real service's entries.

import type { ResourceKind } from "./kind.js";
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
    store.seed("imagelist", name, { name, description, default: 1, machineimage: `${name}-${version}` }, now);
  }
}

export const shapeKind: ResourceKind = {
  type: "shape",
  writable: false,
  displayName: (key) => key.replace(/^\//, ""),
  render: (obj, _now, uri) => ({ ...obj.fields, uri }),
};

export const imagelistKind: ResourceKind = {
  type: "imagelist",
  writable: false,
  displayName: (key) => key,
  render(obj, _now, uri) {
    const { machineimage, ...rest } = obj.fields;
    return {
      ...rest,
      entries: [{ attributes: {}, imagelist: null, version: 1, machineimages: [machineimage], uri: `${uri}/entry/1` }],
      uri,
    };
  },
};
