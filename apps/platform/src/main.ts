// `npm start`: the whole platform in one process on its embedded default. See --help.
import { enableCompileCache } from 'node:module';

// Node's compile cache keeps the code it compiles (and the types it strips) of every module
// loaded after this call, in NODE_COMPILE_CACHE or else the system's temporary folder, checked
// against each source and Node's version: a restart then skips most of its module loading. The
// command is imported only now, as static imports would be compiled before this line ran.
enableCompileCache();
await import('./command.ts');
