import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('generated protobuf code', () => {
  it('matches proto/*.proto (run `npm run generate -w @strata/protocol` after editing a .proto file)', () => {
    const out = mkdtempSync(join(tmpdir(), 'strata-gen-'));
    try {
      execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'generate.mjs'), out]);
      for (const f of ['messages.js', 'messages.d.ts']) {
        expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(__dirname, '..', 'src', 'generated', f), 'utf8'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
