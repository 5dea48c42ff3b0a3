/** Where secrets of the embedded default live, for start-up messages (paths only, never values). */
import path from 'node:path';

/** The local API token file created on first run outside production (see dev-secrets.ts). */
export function localApiTokenFile(dataDir: string): string {
  return path.join(dataDir, 'secrets', 'api-token');
}
