import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../src/platform/local/components/kafka.ts';

describe('KRaft cluster id', () => {
  it('never starts with "-" (the storage tool would read it as an option)', () => {
    // 0xf8.. encodes to "-" first in base64url; the second draw does not.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    let calls = 0;
    const id = newClusterId(() => draws[calls++]!);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(calls).toBe(2);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
  });

  it('is 22 base64url characters', () => {
    for (let i = 0; i < 200; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
