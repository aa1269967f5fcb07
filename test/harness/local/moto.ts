/**
 * moto's server (CloudWatch Logs and S3 on one port, 127.0.0.1 only), installed on first use
 * into a virtual environment under `.demo/` (ignored by git), started by ./moto_server.py.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { existsSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { join } from 'path';

export const MOTO_VERSION = '5.1.22';

/** The Python of the project's virtual environment with moto; creates and fills it if missing. */
export function ensureMoto(root: string, say: (line: string) => void = () => {}): string {
  const venv = join(root, '.demo', 'venv');
  const bin = join(venv, 'bin');
  const python = join(bin, 'python');
  const installed = (): string | undefined => {
    if (!existsSync(join(bin, 'moto_server'))) return undefined;
    try {
      return execFileSync(python, ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  if (installed() !== MOTO_VERSION) {
    say(`Installing moto[server]==${MOTO_VERSION} into ${venv} (once; a few minutes)...`);
    if (!existsSync(python)) execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`], { stdio: 'inherit' });
    if (installed() !== MOTO_VERSION) throw new Error(`moto ${MOTO_VERSION} is not importable from ${venv} after installing it`);
  }
  return python;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Moto {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** S3 answers a GET of a missing key 403 AccessDenied, as it answers a caller whose s3:ListBucket does not count. */
  readonly missingKey403?: boolean;
}

/** Starts moto's server with `python` on a free loopback port and waits until it answers. */
export async function startMoto(python: string, options: MotoOptions = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { ...process.env, MOTO_MISSING_KEY_403: options.missingKey403 ? '1' : '0' };
  const child: ChildProcess = spawn(python, [join(__dirname, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const until = Date.now() + 60_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`moto's server exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) return { endpoint, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > until) {
      await stop();
      throw new Error(`moto's server did not answer on ${endpoint} within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
