import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };

// An auditor runs the verifier without the platform: it may depend on nothing of the workspace,
// and (so that it also runs in a browser page) on nothing of Node's own modules.
describe('the verifier stands alone', () => {
  const root = fileURLToPath(new URL('.', import.meta.url));
  const sources = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));

  it('depends on no workspace package', () => {
    const dependencies = { ...packageJson.dependencies, ...packageJson.devDependencies };
    expect(Object.keys(dependencies).filter((name) => name.startsWith('@concord/'))).toEqual([]);
    expect(Object.values(dependencies).filter((v) => v.startsWith('workspace:'))).toEqual([]);
  });

  it('imports neither the workspace nor Node built-ins in its sources', () => {
    expect(sources.length).toBeGreaterThan(0);
    const offences = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/from '((?:@concord\/|node:)[^']*)'/g)].map((m) => `${file}: ${m[1]}`),
    );
    expect(offences).toEqual([]);
  });
});
