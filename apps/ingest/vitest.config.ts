import { concordProject } from '../../vitest.shared.ts';

export default concordProject('ingest-app');
