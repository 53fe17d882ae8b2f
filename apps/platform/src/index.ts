export { printBanner, type Persona } from './banner.ts';
export { startPlatform, type Platform, type PlatformOptions } from './platform.ts';
