import { concordProject } from '../../vitest.shared.ts';

export default concordProject('telemetry');
