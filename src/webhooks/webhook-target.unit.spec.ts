/** No SSRF: which targets a subscription may name and a delivery may connect to. */
import type { LookupAddress } from 'node:dns';
import { addressProblem, guardedLookup, targetProblem, urlProblem, type Resolve } from './webhook-target.js';

const strict = { allowLoopback: false, allowPrivate: false };
const loopbackAllowed = { allowLoopback: true, allowPrivate: false };
const privateAllowed = { allowLoopback: false, allowPrivate: true };

/** A resolver that answers from a table, as DNS would; unknown names do not resolve. */
const resolver = (table: Record<string, string[]>): Resolve => async (hostname) => {
  const addresses = table[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('webhook targets', () => {
  it.each([
    ['127.0.0.1', /loopback/], ['127.8.9.10', /loopback/], ['::1', /loopback/], ['::ffff:127.0.0.1', /loopback/],
    ['10.1.2.3', /private/], ['172.20.0.1', /private/], ['192.168.1.1', /private/], ['100.64.0.1', /private/], ['fd00::1', /private/],
    ['169.254.169.254', /link-local/], ['fe80::1', /link-local/], ['0.0.0.0', /reserved/], ['::', /reserved/], ['224.0.0.1', /reserved/],
    ['::ffff:169.254.169.254', /link-local/], ['64:ff9b::a9fe:a9fe', /reserved/],
  ])('refuses %s by default', (address, why) => {
    expect(addressProblem(address, strict)).toMatch(why);
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8'])('accepts the public address %s', (address) => {
    expect(addressProblem(address, strict)).toBeNull();
  });

  it('allows loopback and private ranges only when the operator says so; link-local never', () => {
    expect(addressProblem('127.0.0.1', loopbackAllowed)).toBeNull();
    expect(addressProblem('10.1.2.3', loopbackAllowed)).toMatch(/private/);
    expect(addressProblem('10.1.2.3', privateAllowed)).toBeNull();
    expect(addressProblem('127.0.0.1', privateAllowed)).toMatch(/loopback/);
    expect(addressProblem('169.254.169.254', { allowLoopback: true, allowPrivate: true })).toMatch(/link-local/);
  });

  it.each([
    ['http://gateway.example.org/hook', /https:\/\//],
    ['ftp://gateway.example.org/hook', /https:\/\//],
    ['https://user:pass@gateway.example.org/hook', /credentials/],
    ['https://10.0.0.7/hook', /private address/],
    ['https://[::ffff:7f00:1]/hook', /loopback/],
    ['https://0x7f.1/hook', /loopback/],
    ['https://2130706433/hook', /loopback/],
    ['http://127.0.0.1:8080/hook', /WEBHOOK_ALLOW_LOOPBACK/],
    ['not a url', /not a URL/],
  ])('refuses %s from the URL alone', (url, why) => {
    expect(urlProblem(url, strict)).toMatch(why);
  });

  it('allows http:// only to this host, when loopback is allowed', () => {
    expect(urlProblem('http://127.0.0.1:8080/hook', loopbackAllowed)).toBeNull();
    expect(urlProblem('http://localhost:8080/hook', loopbackAllowed)).toBeNull();
    expect(urlProblem('http://gateway.example.org/hook', loopbackAllowed)).toMatch(/https:\/\//);
  });

  it('checks every address a name resolves to when subscribing', async () => {
    const dns = resolver({
      'gateway.example.org': ['93.184.216.34'],
      'sneaky.example.org': ['93.184.216.34', '10.0.0.7'],
      'metadata.example.org': ['169.254.169.254'],
      'localhost': ['127.0.0.1'],
      'rebinding.localhost': ['93.184.216.34'],
    });
    await expect(targetProblem('https://gateway.example.org/hook', strict, dns)).resolves.toBeNull();
    await expect(targetProblem('https://sneaky.example.org/hook', strict, dns)).resolves.toMatch(/10\.0\.0\.7, a private address/);
    await expect(targetProblem('https://metadata.example.org/hook', privateAllowed, dns)).resolves.toMatch(/link-local/);
    await expect(targetProblem('https://nowhere.example.org/hook', strict, dns)).resolves.toMatch(/does not resolve/);
    await expect(targetProblem('https://localhost/hook', strict, dns)).resolves.toMatch(/loopback/);
    await expect(targetProblem('http://localhost:9/hook', loopbackAllowed, dns)).resolves.toBeNull();
    await expect(targetProblem('http://rebinding.localhost/hook', loopbackAllowed, dns)).resolves.toMatch(/beyond this host/);
  });

  it('refuses a name the resolver does not answer for', async () => {
    jest.useFakeTimers();
    try {
      const answer = targetProblem('https://slow.example.org/hook', strict, () => new Promise(() => undefined));
      await jest.advanceTimersByTimeAsync(3_000);
      await expect(answer).resolves.toMatch(/did not resolve within 3 s/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses at connection time a name that now resolves to a forbidden address (DNS rebinding)', async () => {
    const table: Record<string, string[]> = { 'gateway.example.org': ['93.184.216.34'] };
    const lookup = guardedLookup(strict, false, resolver(table));
    const ask = (all: boolean) => new Promise<unknown>((resolve, reject) =>
      lookup('gateway.example.org', { all }, (error, address, family) => (error ? reject(error) : resolve(all ? address : [address, family]))));
    await expect(ask(false)).resolves.toEqual(['93.184.216.34', 4]);
    await expect(ask(true)).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
    table['gateway.example.org'] = ['169.254.169.254'];
    await expect(ask(false)).rejects.toThrow(/Refused to connect to gateway\.example\.org: .*link-local/);
  });

  it('keeps a plain-http target on this host at connection time', async () => {
    const lookup = guardedLookup(loopbackAllowed, true, resolver({ localhost: ['93.184.216.34'] }));
    await expect(new Promise((resolve, reject) => lookup('localhost', {}, (error, address) => (error ? reject(error) : resolve(address)))))
      .rejects.toThrow(/beyond this host/);
  });
});
