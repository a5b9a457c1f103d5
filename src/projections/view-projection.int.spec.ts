/**
 * The view helper on its own: what it writes for a batch, on the embedded read store. A replayed or older
 * event never changes a document, each changed document is written once per batch, derived rows follow
 * their document (and go when it drops them), a join reads the other view as it stands at the event, and
 * a document is deleted when its view says so. The projections.property spec checks the helper with the
 * real views over random histories.
 */
import type { RecordedEvent } from '../event-store/event-store.port.js';
import type { Document, ReadStore } from '../read-store/read-store.port.js';
import { SqliteReadStore } from '../read-store/sqlite/sqlite-read-store.js';
import { foldViews, viewProjection, type View } from './view-projection.js';

interface Account extends Document {
  readonly owner: string;
  readonly balance: number;
  readonly tags: readonly string[];
}

interface Transfer extends Document {
  readonly account: string;
  /** The account's owner when the transfer was made (a join). */
  readonly owner: string;
  readonly amount: number;
}

/** Events of `account-<id>` streams: Opened {owner, tags}, Deposited {amount}, Closed {}. */
const accounts: View<Account> = {
  collection: 'accounts',
  documentId: (event) => event.streamId.slice('account-'.length),
  evolve(account, event) {
    const data = event.data as { owner?: string; tags?: string[]; amount?: number };
    switch (event.type) {
      case 'Opened':
        return { _id: event.streamId.slice('account-'.length), owner: data.owner!, balance: 0, tags: data.tags! };
      case 'Deposited':
        return account && { ...account, balance: account.balance + data.amount!, tags: account.tags.filter((tag) => tag !== 'new') };
      case 'Closed':
        return null;
      default:
        return account;
    }
  },
  rows: { collection: 'account_tags', of: (account) => account.tags.map((tag) => ({ _id: `${account._id}:${tag}`, tag })) },
};

/** A deposit, with the owner of its account at the time. */
const transfers: View<Transfer> = {
  collection: 'transfers',
  documentId: (event) => (event.type === 'Deposited' ? event.id : null),
  reads: (event) => [{ view: accounts, id: event.streamId.slice('account-'.length) }],
  evolve(_transfer, event, read) {
    const account = event.streamId.slice('account-'.length);
    return { _id: event.id, account, owner: read(accounts, account)?.owner ?? 'unknown', amount: (event.data as { amount: number }).amount };
  },
};

const projection = viewProjection({ name: 'accounts', views: [transfers, accounts] });

let position = 0n;
const event = (account: string, type: string, data: object = {}): RecordedEvent => {
  position += 10n;
  return { streamId: `account-${account}`, revision: 0n, position, id: `e${position}`, type, data, metadata: {}, recordedAt: new Date(0) };
};

let views: ReadStore;
beforeEach(() => {
  position = 0n;
  views = new SqliteReadStore(':memory:');
});
afterEach(() => views.close());

async function apply(events: readonly RecordedEvent[]) {
  const writes = await projection.project(events, views);
  await views.writeTogether(writes.filter(({ operations }) => operations.length > 0));
  return writes;
}

const all = (name: string) => views.collection(name).find({}, { sort: { _id: 1 } });

it('folds a batch into one write per changed document, rows before their document, views in their order', async () => {
  const writes = await apply([event('a', 'Opened', { owner: 'ani', tags: ['new', 'gold'] }), event('a', 'Deposited', { amount: 5 }), event('a', 'Deposited', { amount: 7 })]);

  expect(writes.map(({ collection, operations }) => [collection, operations.length])).toEqual([['transfers', 2], ['account_tags', 1], ['accounts', 1]]);
  expect(await all('accounts')).toEqual([{ _id: 'a', owner: 'ani', balance: 12, tags: ['gold'], lastPosition: 30 }]);
  expect(await all('account_tags')).toEqual([{ _id: 'a:gold', tag: 'gold', lastPosition: 30 }]);
  expect(await all('transfers')).toEqual([
    { _id: 'e20', account: 'a', owner: 'ani', amount: 5, lastPosition: 20 },
    { _id: 'e30', account: 'a', owner: 'ani', amount: 7, lastPosition: 30 },
  ]);
});

it('skips every event a document already holds, so a replay changes nothing, and an older batch never moves a document back', async () => {
  const opened = event('a', 'Opened', { owner: 'ani', tags: ['new'] });
  const deposits = [event('a', 'Deposited', { amount: 5 }), event('a', 'Deposited', { amount: 7 })];
  await apply([opened, ...deposits]);
  const before = { accounts: await all('accounts'), transfers: await all('transfers'), tags: await all('account_tags') };

  // Replaying the whole batch, or a part of it: nothing to write.
  expect((await apply([opened, ...deposits])).flatMap(({ operations }) => operations)).toEqual([]);
  expect((await apply([deposits[0]!])).flatMap(({ operations }) => operations)).toEqual([]);
  // An event the view does not concern itself with (evolve answers the document unchanged) writes nothing either.
  expect((await apply([event('a', 'Audited')])).flatMap(({ operations }) => operations)).toEqual([]);
  expect({ accounts: await all('accounts'), transfers: await all('transfers'), tags: await all('account_tags') }).toEqual(before);
});

it('writes nothing over a document a faster runner already moved past the batch', async () => {
  const opened = event('a', 'Opened', { owner: 'ani', tags: [] });
  const first = event('a', 'Deposited', { amount: 5 });
  const second = event('a', 'Deposited', { amount: 7 });
  await apply([opened]);
  // A slow runner computes its batch from the document as it was...
  const slow = await projection.project([first], views);
  // ...while another applies both deposits.
  await apply([first, second]);
  await views.writeTogether(slow.filter(({ operations }) => operations.length > 0));
  expect(await all('accounts')).toEqual([{ _id: 'a', owner: 'ani', balance: 12, tags: [], lastPosition: 30 }]);
});

it('deletes a document, and its rows, when its view answers null', async () => {
  await apply([event('a', 'Opened', { owner: 'ani', tags: ['gold'] }), event('b', 'Opened', { owner: 'budi', tags: ['new'] })]);
  await apply([event('a', 'Closed')]);
  expect((await all('accounts')).map((account) => account._id)).toEqual(['b']);
  expect((await all('account_tags')).map((tag) => tag._id)).toEqual(['b:new']);
});

it('reads another view as it stands at the event, and refuses a read its view did not name', async () => {
  await apply([event('a', 'Opened', { owner: 'ani', tags: [] })]);
  await apply([event('a', 'Deposited', { amount: 1 }), event('a', 'Closed'), event('a', 'Opened', { owner: 'eko', tags: [] }), event('a', 'Deposited', { amount: 2 })]);
  expect((await all('transfers')).map(({ owner, amount }) => ({ owner, amount }))).toEqual([{ owner: 'ani', amount: 1 }, { owner: 'eko', amount: 2 }]);

  const sneaky = viewProjection({ name: 'sneaky', views: [{ ...transfers, reads: () => [], evolve: (_transfer, _event, read) => read(accounts, 'b') }, accounts] });
  await expect(sneaky.project([event('a', 'Deposited', { amount: 3 })], views)).rejects.toThrow('accounts/b was read without being named by reads()');
});

it('foldViews gives what the batches leave behind', async () => {
  const history = [
    event('a', 'Opened', { owner: 'ani', tags: ['new', 'gold'] }), event('b', 'Opened', { owner: 'budi', tags: [] }),
    event('a', 'Deposited', { amount: 5 }), event('b', 'Closed'), event('a', 'Deposited', { amount: 1 }),
  ];
  for (const one of history) await apply([one]);
  expect(foldViews(projection, history)).toEqual({ transfers: await all('transfers'), accounts: await all('accounts'), account_tags: await all('account_tags') });
});
