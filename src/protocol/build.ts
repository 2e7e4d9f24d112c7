// "Builds what needs building": when a contract source is newer than the generated artifacts,
// recompile before deploying, so an edited contract is never deployed stale; likewise the dashboard.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Recompiles the contracts if needed; returns true when it did. */
export async function ensureContractsBuilt(log: (line: string) => void = () => {}): Promise<boolean> {
  const index = path.join(root, 'src', 'chain', 'artifacts', 'index.ts');
  const sources = path.join(root, 'contracts', 'src');
  if (!existsSync(sources)) return false;
  const { buildContracts, newestSourceTime } = await import('../../scripts/build-contracts.js');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSourceTime()) return false;
  log('contracts changed: compiling ...');
  buildContracts({ quiet: true });
  return true;
}

/** Builds the dashboard (web/) when its sources are newer than web/dist; returns true when it did. */
export async function ensureDashboardBuilt(log: (line: string) => void = () => {}): Promise<boolean> {
  if (!existsSync(path.join(root, 'web', 'index.html'))) return false;
  const { buildWeb, isWebBuildFresh } = await import('../../scripts/build-web.js');
  if (isWebBuildFresh()) return false;
  log('dashboard changed: building ...');
  await buildWeb({ quiet: true });
  return true;
}
