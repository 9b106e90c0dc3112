// Owns the simulator's accounts: two-part user names, their passwords, and the customer and
// groups a session of each user carries. Names are case-sensitive, as in the API (design fact 1).

import { createHash, timingSafeEqual } from "node:crypto";

/**
 * `/Compute-<domain>/<user>`: printable ASCII without whitespace, `;`, `,`, quotes or backslashes,
 * so the name can sit in a raw-format cookie value (design fact 4) without breaking it.
 */
const PART = String.raw`[^\x00-\x20\x7f-\uffff;,"\\/]+`;
const USER_FORM = new RegExp(String.raw`^/Compute-${PART}/${PART}$`);

/** Why a user name is unusable, or undefined when it has the API's two-part form. */
export function userNameProblem(user: string): string | undefined {
  if (USER_FORM.test(user)) return undefined;
  return `"${user}" is not a two-part user name like /Compute-acme/jack.jones@example.com (no spaces, ; , " or \\)`;
}

export function customerOf(user: string): string {
  return user.split("/")[1] ?? "";
}

export function groupsOf(user: string): string[] {
  const customer = customerOf(user);
  return [`/${customer}/Compute.Compute_Operations`, `/${customer}/Compute.Compute_Monitor`];
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

export class Users {
  private readonly passwords = new Map<string, Buffer>();

  constructor(users: ReadonlyArray<{ user: string; password: string }>) {
    const problems = users.map((u) => userNameProblem(u.user)).filter((p): p is string => p !== undefined);
    if (problems.length > 0) throw new Error(`simulator users: ${problems.join("; ")}`);
    for (const u of users) this.passwords.set(u.user, digest(u.password));
  }

  /** Adds the user, or changes the password of an existing one. */
  setPassword(user: string, password: string): void {
    const problem = userNameProblem(user);
    if (problem) throw new Error(problem);
    this.passwords.set(user, digest(password));
  }

  has(user: string): boolean {
    return this.passwords.has(user);
  }

  /** Constant-time check so the simulator does not teach clients timing habits. */
  check(user: string, password: string): boolean {
    const want = this.passwords.get(user);
    const got = digest(password);
    return want !== undefined && timingSafeEqual(want, got);
  }
}
