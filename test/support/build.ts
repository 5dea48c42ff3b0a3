/**
 * `npm run build` once per test run: the tests that run the service as `npm start` does (the
 * compiled main and its workflow bundle) share one build instead of compiling twice.
 */
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/devtools/temporal-cli';

let built: Promise<void> | undefined;

export function buildOnce(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    let out = '';
    const p = spawn('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (${code}):\n${out}`))));
  });
  return built;
}
