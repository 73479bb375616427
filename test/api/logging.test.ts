import { logger } from '../../functions/core/log';
import { createUser, useApi } from '../support';

const api = useApi();

describe('log lines of concurrent requests', () => {
  const lines: string[] = [];

  beforeAll(() => {
    logger.setLogLevel('INFO');
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  });

  afterAll(() => {
    jest.restoreAllMocks();
    logger.setLogLevel('SILENT');
  });

  it('each carry their own request id and route, never another request’s', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => createUser(api.db)));
    const answers = await Promise.all(
      users.flatMap((u) => [
        api.request('GET', '/me', { token: u.token }),
        api.request('GET', '/me/sessions', { token: u.token }),
      ]),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);

    const requests = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string; request_id?: string; route?: string; user_id?: string })
      .filter((l) => l.message === 'request');
    expect(requests).toHaveLength(24);
    expect(new Set(requests.map((r) => r.request_id)).size).toBe(24);
    const byUser = new Map<string, string[]>();
    for (const r of requests)
      byUser.set(r.user_id as string, [...(byUser.get(r.user_id as string) ?? []), r.route as string]);
    for (const u of users) expect(byUser.get(u.id)?.sort()).toEqual(['GET /me', 'GET /me/sessions']);
  });
});
