// Builds the verifier page: one HTML file with the verifier inlined, for an inspector to open from
// disk (no server, no network; the page's Content-Security-Policy forbids any connection).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const PAGE = `${ROOT}dist/concord-verify.html`;

export async function buildPage(): Promise<string> {
  const result = await build({
    entryPoints: [`${ROOT}page/main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'inline',
  });
  const script = result.outputFiles[0]!.text.replaceAll('</script', '<\\/script');
  const template = await readFile(`${ROOT}page/index.html`, 'utf8');
  const marker = '/* the verifier */';
  if (!template.includes(marker)) throw new Error(`page/index.html lacks ${marker}`);
  await mkdir(`${ROOT}dist`, { recursive: true });
  await writeFile(
    PAGE,
    template.replace(marker, () => script),
  );
  return PAGE;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const page = await buildPage();
  console.info(`the verifier page: ${page} (open it from disk in any current browser)`);
}
