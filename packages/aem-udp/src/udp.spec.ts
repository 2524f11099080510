import { createAem, type Aem } from '@aem/core';
import { firstValueFrom, take, toArray } from 'rxjs';
import { Udp } from './udp';

describe('Udp', () => {
  let runtime: Aem;
  let client: Udp;

  beforeEach(() => {
    runtime = createAem();
    client = Udp.load(runtime);
  });
  afterEach(() => runtime.close());

  it('delivers published events to callbacks, Observables and Promises', async () => {
    const seen: unknown[] = [];
    client.on('a', (event) => void seen.push(event));
    const stream = firstValueFrom(client.events('a').pipe(take(2), toArray()));
    const next = client.next('a');
    expect(client.publish('a', 1)).toBe(3);
    client.publish('a', 2);
    client.publish('b', 3); // another topic
    expect(await stream).toEqual([1, 2]);
    expect(await next).toBe(1);
    expect(seen).toEqual([1, 2]);
  });

  it('loads the service once per runtime', () => {
    Udp.load(runtime);
    expect(runtime.services().filter((info) => info.name === 'udp')).toHaveLength(1);
  });
});
