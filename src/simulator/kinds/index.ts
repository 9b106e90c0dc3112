// Owns the list of kinds the simulator serves: adding a kind means adding its table here.

import type { KindTable } from "../kind.js";
import { imagelistTable, machineimageTable, shapeTable, sshkeyTable } from "./images.js";
import { instanceTable, launchplanTable } from "./instances.js";
import {
  ipAddressAssociationTable,
  ipAddressReservationTable,
  ipAssociationTable,
  ipNetworkTable,
  ipReservationTable,
  vnicTable,
} from "./ip.js";
import { secapplicationTable, secassociationTable, seciplistTable, seclistTable, secruleTable } from "./security.js";
import { attachmentTable, snapshotTable, volumeTable } from "./storage.js";

/** Every served table; image list entries are reached through `imagelistTable.child`. */
export const KIND_TABLES: readonly KindTable[] = [
  sshkeyTable,
  shapeTable,
  machineimageTable,
  imagelistTable,
  imagelistTable.child!.table,
  launchplanTable,
  instanceTable,
  volumeTable,
  attachmentTable,
  snapshotTable,
  seclistTable,
  secruleTable,
  secapplicationTable,
  secassociationTable,
  seciplistTable,
  ipReservationTable,
  ipAssociationTable,
  ipNetworkTable,
  ipAddressReservationTable,
  ipAddressAssociationTable,
  vnicTable,
];
