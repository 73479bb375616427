import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '../support';

/** `npm start` as a person runs it: its own process, its own data directory, Ctrl-C to stop. */
function start(
  localDir: string,
  via: 'node' | 'npm' = 'node',
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EATSENTIAL_LOCAL_DIR: localDir,
    PORT: '0',
    LOG_LEVEL: 'SILENT',
  };
  delete env.DATABASE_URL;
  delete env.JWT_SECRET;
  delete env.MAIL_DIR;
  delete env.APP_BASE_URL;
  const child =
    via === 'npm'
      ? // Its own process group, so that the test can clean up whatever npm leaves behind.
        spawn('npm', ['start'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      : spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'functions', 'local', 'start.ts')], {
          cwd: repoRoot,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (http:\/\/localhost:\d+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1], output: () => out });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${out}`)));
  });
}

/** True once nothing accepts connections at `url` any more. */
async function freed(url: string, withinMs: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });

describe('npm start', () => {
  it('serves the API on an embedded database, stops cleanly on Ctrl-C and keeps its data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eatsential-local-'));
    const first = await start(dir);
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
    const register = await fetch(`${first.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'kept_user',
        email: 'kept@example.com',
        password: 'a perfectly long password',
      }),
    });
    expect(register.status).toBe(202);
    expect(first.output()).toContain('migration(s) applied');
    expect(await stop(first.child)).toBe(0);

    const second = await start(dir);
    expect(second.output()).toContain('database schema up to date');
    const again = await fetch(`${second.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'kept_user',
        email: 'other@example.com',
        password: 'a perfectly long password',
      }),
    });
    expect(again.status).toBe(409);
    expect(await stop(second.child)).toBe(0);
  });

  it('links its emails to the port it bound, not to 3000', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eatsential-local-'));
    const api = await start(dir);
    try {
      const register = await fetch(`${api.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          username: 'linked_user',
          email: 'linked@example.com',
          password: 'a perfectly long password',
        }),
      });
      expect(register.status).toBe(202);

      // The mail outbox is drained right after the answer: wait for the email to be written.
      const mails = () => (existsSync(join(dir, 'mail')) ? readdirSync(join(dir, 'mail')) : []);
      for (let waited = 0; mails().length === 0 && waited < 30_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const [file] = mails();
      const email = readFileSync(join(dir, 'mail', file as string), 'utf8');
      expect(email).toContain(`${api.url}/verify-email?token=`);
      expect(api.url).not.toBe('http://localhost:3000');
      expect(api.output()).toContain('POST the token to /auth/verify-email');
    } finally {
      await stop(api.child);
    }
  });

  it('stops when a process manager sends SIGTERM to npm alone, freeing its port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eatsential-local-'));
    const api = await start(dir, 'npm');
    const group = api.child.pid as number;
    try {
      expect((await fetch(`${api.url}/health`)).status).toBe(200);

      api.child.kill('SIGTERM');

      expect(await freed(api.url, 10_000)).toBe(true);
    } finally {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
  });
});
