import { RawHttpClient } from './raw-http-client';

export interface PacedSample {
  /** Answers 200. */
  ok: number;
  seconds: number;
  /** Answer times of the 200s, in ms. */
  latencies: number[];
  /** Answers other than 200. */
  bad: number;
}

/**
 * Signed batches POSTed evenly spaced at `rate` per second on one keep-alive connection, as FPTR
 * sends a webhook's requests (one at a time). Every request's bytes are built before the clock
 * starts, and each answer is timed from handing those bytes to the socket (bench/raw-http-client.ts).
 */
export async function pacedAnswers(
  url: string,
  rate: number,
  seconds: number,
  next: () => { body: string; signature: string },
  headers: Record<string, string>,
): Promise<PacedSample> {
  const { origin, pathname } = new URL(url);
  const client = await RawHttpClient.connect(origin);
  const count = Math.max(1, Math.round(rate * seconds));
  const requests = Array.from({ length: count }, () => {
    const { body, signature } = next();
    return client.request(pathname, { ...headers, 'x-sg-signature': signature }, Buffer.from(body));
  });
  const latencies: number[] = [];
  let bad = 0;
  try {
    const begin = performance.now() + 20;
    for (let i = 0; i < count; i++) {
      const wait = begin + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const { status, ms } = await client.send(requests[i]);
      if (status === 200) latencies.push(ms);
      else bad++;
    }
  } finally {
    client.close();
  }
  return { ok: count - bad, seconds, latencies, bad };
}
