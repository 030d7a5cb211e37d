/**
 * The Node.js release line tunnelgate runs on. `.node-version` pins the exact release that the
 * project's scripts install; the images, package.json `engines` and this constant follow it, and
 * `node-runtime.spec.ts` fails when they drift apart. Node 24 LTS (supported until 2028-04-30):
 * the line whose registry binaries, native addons (better-sqlite3 13 prebuilds, node-gyp
 * headers) and toolchain (Nx 23, Nest 11, jest 30) were all verified on these machines.
 */
export const SUPPORTED_NODE_MAJOR = 24;

/** Why this process must not run on `version` (Node's `process.versions.node`), if it must not. */
export function unsupportedNodeReason(version: string): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major === SUPPORTED_NODE_MAJOR) return undefined;
  return (
    `tunnelgate needs Node ${SUPPORTED_NODE_MAJOR} LTS and this is Node ${version}: ` +
    `start it through the project's scripts (they install the release pinned in .node-version), ` +
    `or from the project's container image`
  );
}
