import { describe, expect, it } from 'vitest';
import { sendFrame } from '../../../src/sinks/emonhub/send.js';
import { FakeEmonhub } from '../../fakes/emonhub.js';
import { waitFor } from '../../fakes/wait.js';

describe('sendFrame', () => {
  it('delivers the frame in one connection and one read', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    await sendFrame('127.0.0.1', fake.port, '1700000000 5 1 2\r\n', 2000);
    await waitFor(() => fake.received.length === 1, 5000, 'frame');
    expect(fake.received[0]?.raw).toBe('1700000000 5 1 2\r\n');
    await fake.stop();
  });

  it('rejects with SINK_REFUSED (retryable, the socket error as its cause) when nothing listens', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    await fake.stop();
    await expect(sendFrame('127.0.0.1', fake.port, '5 1\r\n', 2000)).rejects.toMatchObject({
      code: 'SINK_REFUSED',
      retryable: true,
      target: `127.0.0.1:${fake.port}`,
      cause: { code: 'ECONNREFUSED' },
    });
  });

  it('rejects when aborted', async () => {
    const fake = new FakeEmonhub();
    await fake.start();
    const abort = new AbortController();
    const sent = sendFrame('127.0.0.1', fake.port, '5 1\r\n', 2000, abort.signal);
    abort.abort();
    await expect(sent).rejects.toThrow('aborted');
    await fake.stop();
  });
});
