import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { createPlainSecretStore } from '../../../src/store/secret-store.js';

describe('plain SecretStore (keyv, one company at a time)', () => {
  it('sets, gets, replaces and deletes a secret; companies do not see each other', async () => {
    const keyv = new Keyv();
    const a = createPlainSecretStore(keyv, 'acme');
    const b = createPlainSecretStore(keyv, 'globex');
    expect(await a.get('pipedrive-oauth')).toBeUndefined();
    await a.set('pipedrive-oauth', '{"accessToken":"1"}');
    await a.set('pipedrive-oauth', '{"accessToken":"2"}');
    expect(await a.get('pipedrive-oauth')).toBe('{"accessToken":"2"}');
    expect(await b.get('pipedrive-oauth')).toBeUndefined();
    // Beside the company's state: the same key prefix as its mirror and ledger.
    expect(await keyv.get('c:acme:secret:pipedrive-oauth')).toBe('{"accessToken":"2"}');
    await a.delete('pipedrive-oauth');
    expect(await a.get('pipedrive-oauth')).toBeUndefined();
  });

  it('refuses names and company ids that are not plain identifiers', async () => {
    const s = createPlainSecretStore(new Keyv(), 'acme');
    await expect(s.set('../x', 'v')).rejects.toThrow(/secret name/);
    expect(() => createPlainSecretStore(new Keyv(), 'a b')).toThrow(/company id/);
  });
});
