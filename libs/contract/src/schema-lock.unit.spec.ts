import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  currentHashes,
  extendLock,
  immutableMessage,
  lockProblems,
  readLock,
} from '../scripts/schema-lock.ts';
import { schemasDir } from '../scripts/schema-files.ts';

describe('published schema lock', () => {
  it('every published schema is unchanged and every schema file is published', () => {
    const problems = lockProblems(readLock(), currentHashes());
    expect(problems, problems.join('\n')).toEqual([]);
  });

  describe('on a copy of schemas/', () => {
    const copy = mkdtempSync(join(tmpdir(), 'concord-schemas-'));
    cpSync(schemasDir, copy, { recursive: true });
    afterAll(() => rmSync(copy, { recursive: true, force: true }));
    const lock = readLock(join(copy, 'published.lock.json'));

    it('ignores formatting but fails on any change to a published schema, pointing to a new version', () => {
      const path = 'events/batch/scheduled.v1.schema.json';
      const schema = JSON.parse(JSON.stringify(readLockedSchema(copy, path)));
      writeFileSync(join(copy, path), JSON.stringify(schema));
      expect(lockProblems(lock, currentHashes(copy))).toEqual([]);

      schema.properties.site.description = 'The site (reworded).';
      writeFileSync(join(copy, path), JSON.stringify(schema, null, 2));
      const problems = lockProblems(lock, currentHashes(copy));
      expect(problems).toEqual([immutableMessage(path)]);
      expect(problems[0]).toContain('add a new version');
      expect(problems[0]).toContain('upcaster');
      // The lock command refuses to paper over it.
      expect(extendLock(lock, currentHashes(copy)).problems).toEqual([immutableMessage(path)]);
    });

    it('asks for the lock command when a new version appears, and the command adds only it', () => {
      const before = currentHashes(copy);
      mkdirSync(join(copy, 'events/batch'), { recursive: true });
      const path = 'events/batch/scheduled.v2.schema.json';
      writeFileSync(join(copy, path), JSON.stringify({ $id: 'x', type: 'object' }));
      const now = currentHashes(copy);
      const fresh = extendLock({ description: '', schemas: before }, now);
      expect(fresh.added).toEqual([path]);
      expect(fresh.problems).toEqual([]);
      expect(lockProblems({ description: '', schemas: before }, now)).toEqual([
        expect.stringContaining('run lock-schemas'),
      ]);
      expect(lockProblems(fresh.lock, now)).toEqual([]);
    });

    it('fails when a published schema is deleted', () => {
      const path = 'events/batch/manufacturing-held.v1.schema.json';
      rmSync(join(copy, path));
      expect(lockProblems(lock, currentHashes(copy))).toContainEqual(
        expect.stringContaining(`schemas/${path} is published but was deleted`),
      );
    });
  });
});

function readLockedSchema(dir: string, path: string): unknown {
  return JSON.parse(readFileSyncUtf8(join(dir, path)));
}

function readFileSyncUtf8(file: string): string {
  return readFileSync(file, 'utf8');
}
