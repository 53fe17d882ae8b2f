import { concordProject } from '../../vitest.shared.ts';

export default concordProject('read-model');
