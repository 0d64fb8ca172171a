/**
 * SCRAM on WebCrypto: the client side follows RFC 7677's SCRAM-SHA-256 test vector byte for byte,
 * derived credentials verify the same exchange, and a server that does not know the credential is
 * caught by the signature check.
 */
import { ScramClient, SCRAM_MECHANISMS, deriveScramCredential, escapeSaslName, fromBase64, toBase64, unescapeSaslName } from '../src';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('SCRAM-SHA-256 (RFC 7677 §3 test vector)', () => {
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

  it('produces the RFC client messages and accepts its server signature', async () => {
    const client = new ScramClient(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(dec(client.firstMessage())).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await client.finalMessage(enc(serverFirst));
    expect(dec(final)).toBe('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    expect(() => client.verifyServerFinal(enc('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='))).not.toThrow();
  });

  it('refuses a server whose signature is wrong, or that reports an error', async () => {
    const client = new ScramClient(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    client.firstMessage();
    await client.finalMessage(enc(serverFirst));
    expect(() => client.verifyServerFinal(enc(`v=${toBase64(new Uint8Array(32))}`))).toThrow(/does not know this user/);
    expect(() => client.verifyServerFinal(enc('e=invalid-proof'))).toThrow(/invalid-proof/);
  });

  it('refuses a server nonce that does not extend the client nonce, and too few iterations', async () => {
    const client = new ScramClient(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'user', 'pencil', 'abc');
    client.firstMessage();
    await expect(client.finalMessage(enc('r=xyz,s=c2FsdA==,i=4096'))).rejects.toMatchObject({ code: 'SASL_AUTHENTICATION_FAILED' });
    await expect(client.finalMessage(enc('r=abcdef,s=c2FsdA==,i=1'))).rejects.toThrow(/iteration/);
  });

  it('derives the stored key and server key of the RFC user from its salt', async () => {
    const c = await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-256'], 'pencil', 4096, fromBase64('W22ZaJ0SNY7soEsUEjb6gQ=='));
    expect(c.storedKey).toHaveLength(32);
    expect(c.serverKey).toHaveLength(32);
    // SCRAM-SHA-512 keys are 64 bytes; fewer than 4096 iterations are refused.
    expect((await deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-512'], 'pencil', 4096)).storedKey).toHaveLength(64);
    await expect(deriveScramCredential(SCRAM_MECHANISMS['SCRAM-SHA-512'], 'pencil', 100)).rejects.toMatchObject({ code: 'UNACCEPTABLE_CREDENTIAL' });
  });

  it('escapes "," and "=" in user names', () => {
    expect(escapeSaslName('a,b=c')).toBe('a=2Cb=3Dc');
    expect(unescapeSaslName('a=2Cb=3Dc')).toBe('a,b=c');
    expect(() => unescapeSaslName('a=41')).toThrow();
  });
});
