// The verifier page: the same `verifyBundle` as the command line, run by the browser's own
// WebCrypto on files the inspector chooses. Nothing leaves the page.
import { fromBase64, locate, verifyBundle, type BundleVerdict } from '../src/index.ts';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const bundleInput = element<HTMLInputElement>('bundle');
const keyringInput = element<HTMLInputElement>('keyring');
const checkpointsInput = element<HTMLInputElement>('checkpoints');
const receiptsInput = element<HTMLInputElement>('receipts');
const drop = element<HTMLDivElement>('drop');
const output = element<HTMLElement>('verdict');

let bundleFile: File | undefined;

async function readJson(file: File, what: string): Promise<unknown> {
  try {
    return JSON.parse(await file.text());
  } catch (error) {
    throw new Error(`${file.name} is not a readable ${what}: ${(error as Error).message}`);
  }
}

function add(parent: HTMLElement, tag: string, text?: string, className?: string): HTMLElement {
  const child = document.createElement(tag);
  if (text !== undefined) child.textContent = text;
  if (className) child.className = className;
  parent.append(child);
  return child;
}

interface Renderings {
  html?: string;
  pdfBase64?: string;
}

function show(verdict: BundleVerdict, fileName: string, report: Renderings): void {
  output.replaceChildren();
  const subject = verdict.subject ? `${verdict.subject.kind} ${verdict.subject.id}` : fileName;
  const banner = add(
    output,
    'div',
    `${verdict.ok ? 'VERIFIED' : 'NOT VERIFIED'}: ${subject}`,
    `banner ${verdict.ok ? 'ok' : 'failed'}`,
  );
  banner.id = 'outcome';
  banner.dataset.ok = String(verdict.ok);
  if (verdict.firstProblem) {
    add(output, 'h2', 'First broken link');
    const first = add(
      output,
      'p',
      `(${verdict.firstProblem.check}) ${locate(verdict.firstProblem)}${verdict.firstProblem.detail}`,
      'problem',
    );
    first.id = 'first-problem';
    if (verdict.problems.length > 1) {
      add(output, 'h3', `All ${verdict.problems.length} problems`);
      const list = add(output, 'ul');
      for (const problem of verdict.problems)
        add(list, 'li', `(${problem.check}) ${locate(problem)}${problem.detail}`, 'problem');
    }
  }
  add(output, 'h2', 'What was checked');
  const checked = add(output, 'ul');
  checked.id = 'checked';
  for (const line of verdict.checked) add(checked, 'li', `✓ ${line}`);
  add(output, 'h2', 'What this verification does not establish');
  const notChecked = add(output, 'ul', undefined, 'muted');
  notChecked.id = 'not-checked';
  for (const line of verdict.notChecked) add(notChecked, 'li', line);
  if (report.html || report.pdfBase64) {
    add(output, 'h2', "The platform's report (as exported; the verdict above is this page's own)");
    const links = add(output, 'p');
    const link = (text: string, blob: Blob) => {
      const anchor = add(links, 'a', text) as HTMLAnchorElement;
      anchor.href = URL.createObjectURL(blob);
      anchor.target = '_blank';
      links.append(' ');
    };
    if (report.html)
      link('Open the audit report (HTML)', new Blob([report.html], { type: 'text/html' }));
    if (report.pdfBase64)
      link(
        'Open the audit report (PDF)',
        new Blob([fromBase64(report.pdfBase64)], { type: 'application/pdf' }),
      );
  }
}

async function verify(): Promise<void> {
  if (!bundleFile) return;
  output.replaceChildren();
  add(output, 'p', `Checking ${bundleFile.name}…`, 'muted');
  try {
    const bundle = await readJson(bundleFile, 'evidence bundle');
    const keyringFile = keyringInput.files?.[0];
    const keyring = keyringFile
      ? ((await readJson(keyringFile, 'keyring')) as { keys?: unknown })
      : undefined;
    if (keyring && !Array.isArray(keyring.keys))
      throw new Error(`${keyringFile!.name}: a keyring is { "keys": [ … ] }`);
    const keptCheckpoints = await Promise.all(
      [...(checkpointsInput.files ?? [])].map((file) => readJson(file, 'checkpoint')),
    );
    const receipts = await Promise.all(
      [...(receiptsInput.files ?? [])].map((file) => readJson(file, 'receipt')),
    );
    const verdict = await verifyBundle(bundle, {
      receipts: receipts as never,
      ...(keyring ? { platformKeys: keyring.keys as never } : {}),
      keptCheckpoints: keptCheckpoints as never,
    });
    const { html, pdfBase64 } = (bundle as { report?: Record<string, unknown> }).report ?? {};
    show(verdict, bundleFile.name, {
      ...(typeof html === 'string' ? { html } : {}),
      ...(typeof pdfBase64 === 'string' ? { pdfBase64 } : {}),
    });
  } catch (error) {
    output.replaceChildren();
    const failed = add(output, 'div', `Cannot check: ${(error as Error).message}`, 'banner failed');
    failed.id = 'outcome';
    failed.dataset.ok = 'false';
  }
}

bundleInput.addEventListener('change', () => {
  bundleFile = bundleInput.files?.[0];
  void verify();
});
keyringInput.addEventListener('change', () => void verify());
checkpointsInput.addEventListener('change', () => void verify());
receiptsInput.addEventListener('change', () => void verify());
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  bundleFile = event.dataTransfer?.files[0];
  void verify();
});
