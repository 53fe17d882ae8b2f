// The e-signature ceremony (21 CFR 11.50/11.200): the signer states their printed name, the
// meaning and the reason, and re-enters their credential, which buys a step-up token for this
// one signature. The act is then sent with it; a refusal is shown as the server words it.
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { SignatureInput, SignatureMeaning } from '../lib/api.ts';
import { useConcord } from '../lib/concord-context.tsx';
import { fetchStepUp } from '../lib/dev-auth.ts';

const MEANINGS: { value: SignatureMeaning; label: string }[] = [
  { value: 'APPROVAL', label: 'Approval' },
  { value: 'REVIEW', label: 'Review' },
  { value: 'RESPONSIBILITY', label: 'Responsibility' },
  { value: 'AUTHORSHIP', label: 'Authorship' },
];

/** What any e-signed act answers: recorded (`data`), or refused with a code and a sentence. */
export type SignedAnswer = { data: unknown } | { code: string; message: string };

export interface SignatureDialogProps {
  /** e.g. "Approve CAPA capa-nb-26-0301". */
  title: string;
  /** What is being signed, in a sentence or two. */
  children?: ReactNode;
  defaultMeaning: SignatureMeaning;
  /** The label of the confirming button, e.g. "Sign and approve". */
  confirmLabel: string;
  /** Sends the act with the signature; resolves to the API's result union. */
  perform(signature: SignatureInput): Promise<SignedAnswer | undefined>;
  onDone(result: SignedAnswer): void;
  onCancel(): void;
}

export function SignatureDialog(props: SignatureDialogProps) {
  const { session } = useConcord();
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [printedName, setPrintedName] = useState(session.printedName);
  const [meaning, setMeaning] = useState<SignatureMeaning>(props.defaultMeaning);
  const [reason, setReason] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setRefusal(null);
    try {
      const credential = session.development
        ? await fetchStepUp(session.token, password)
        : password;
      const result = await props.perform({ printedName, meaning, reason, credential });
      if (!result) throw new Error('The server gave no answer; nothing was signed.');
      if ('data' in result) props.onDone(result);
      else setRefusal(result.message || `Refused (${result.code}).`);
    } catch (error) {
      setRefusal((error as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="signature-dialog"
      aria-labelledby={`${id}-title`}
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <form onSubmit={(event) => void submit(event)}>
        <header>
          <h2 id={`${id}-title`}>{props.title}</h2>
          <p className="dialog-note">Electronic signature · binding under 21 CFR Part 11</p>
        </header>
        {props.children ? <div className="dialog-context">{props.children}</div> : null}
        <div className="field">
          <label htmlFor={`${id}-name`}>Printed name</label>
          <input
            id={`${id}-name`}
            value={printedName}
            onChange={(event) => setPrintedName(event.target.value)}
            autoComplete="name"
            required
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-meaning`}>Meaning of this signature</label>
          <select
            id={`${id}-meaning`}
            value={meaning}
            onChange={(event) => setMeaning(event.target.value as SignatureMeaning)}
          >
            {MEANINGS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason</label>
          <textarea
            id={`${id}-reason`}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            rows={3}
            required
            placeholder="Why you are signing, as it will appear in the audit trail"
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-credential`}>
            {session.development
              ? 'Re-enter your password'
              : 'Step-up token from your identity provider'}
          </label>
          <input
            id={`${id}-credential`}
            type="password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            autoComplete="current-password"
            required
          />
        </div>
        {refusal ? (
          <div className="dialog-refusal" role="alert">
            <strong>Not signed.</strong> {refusal}
          </div>
        ) : null}
        <footer>
          <button type="button" className="button" onClick={props.onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Signing…' : props.confirmLabel}
          </button>
        </footer>
      </form>
    </dialog>
  );
}
