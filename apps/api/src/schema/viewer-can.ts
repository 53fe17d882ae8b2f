import { builder } from '../builder.ts';

/**
 * What the viewer could sign now, as the domain decides it (`HumanActs.allowed`): authorization
 * under the quality agreement in force, the lifecycle and the release rules, for the person and
 * the roles of the session. The dashboard offers an act only where it is true, instead of
 * guessing from roles; the act itself is decided again when it is signed.
 */
export const BatchActs = builder
  .objectRef<{
    release: boolean;
    quarantine: boolean;
    reject: boolean;
    certify: boolean;
  }>('BatchActs')
  .implement({
    description: 'The signed acts the viewer could record on this batch now.',
    fields: (t) => ({
      release: t.exposeBoolean('release', { description: 'A QA disposition: released.' }),
      quarantine: t.exposeBoolean('quarantine', { description: 'A QA disposition: quarantined.' }),
      reject: t.exposeBoolean('reject', { description: 'A QA disposition: rejected.' }),
      certify: t.exposeBoolean('certify', { description: "The Qualified Person's certification." }),
    }),
  });

export const DeviationActs = builder
  .objectRef<{ approveCapa: boolean; approveClosure: boolean }>('DeviationActs')
  .implement({
    description: 'The signed approvals the viewer could record on this deviation now.',
    fields: (t) => ({
      approveCapa: t.exposeBoolean('approveCapa', { description: 'Approve the proposed CAPA.' }),
      approveClosure: t.exposeBoolean('approveClosure', {
        description: 'Approve the closure of the deviation.',
      }),
    }),
  });
