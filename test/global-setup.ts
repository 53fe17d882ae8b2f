// Every project's vitest global set-up: the shared service harness (see libs/test-infra).
export { default } from '@concord/test-infra/global-setup';
