// The deployment files, checked offline: the Kubernetes manifests against the Kubernetes API's
// schemas (kubernetes-models) and against each other and the code; the compose file and the
// image definition against the code they run. Nothing here needs a cluster or a Docker engine.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEPLOY = `${ROOT}deploy/`;
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
};
interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string } };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string; items?: { key: string }[] } }[];
}

const manifests: Manifest[] = readdirSync(`${DEPLOY}kubernetes`)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(`${DEPLOY}kubernetes/${file}`, 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      return document.toJS() as Manifest;
    }),
  );
const ofKind = (kind: string) => manifests.filter((manifest) => manifest.kind === kind);
const named = (kind: string, name: string) => {
  const found = ofKind(kind).find((manifest) => manifest.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found;
};
const deployments = ofKind('Deployment') as (Manifest & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
})[];

/** The kubernetes-models class for a manifest's apiVersion and kind. */
async function modelOf(manifest: Manifest) {
  const [group, version] = manifest.apiVersion.includes('/')
    ? manifest.apiVersion.split('/')
    : [undefined, manifest.apiVersion];
  const module = (await import(
    group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`
  )) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[manifest.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${manifest.apiVersion} ${manifest.kind}`);
  return Model;
}

/**
 * The environment variables a process's main.ts refuses to start without: its `required('X')`
 * and top-level `env.X ?? fail(…)` (not those required only inside a branch: the identity
 * provider's, checked by `identityGiven`).
 */
function requiredEnvironment(main: string): string[] {
  const source = read(main);
  const names = [
    ...source.matchAll(/required\('([A-Z_]+)'\)/g),
    ...source.matchAll(/^\S.*?env\.([A-Z_]+) \?\? fail\(/gm),
  ].map((match) => match[1]!);
  // The platform key is loaded by a shared loader, required by every server process.
  if (source.includes('loadPlatformKey(')) names.push('CONCORD_PLATFORM_KEY_FILE');
  return [...new Set(names)];
}

/** The API needs an identity provider (JWKS, issuer, audience) or the development issuer. */
function identityGiven(main: string, given: Set<string>): boolean {
  if (!read(main).includes('CONCORD_JWKS_URL')) return true;
  const provider = ['CONCORD_JWKS_URL', 'CONCORD_JWT_ISSUER', 'CONCORD_JWT_AUDIENCE'];
  return provider.every((name) => given.has(name)) || given.has('CONCORD_DEV_ISSUER_KEY');
}

describe('the Kubernetes manifests', () => {
  it('are all valid objects of the Kubernetes API (schemas of kubernetes-models, offline)', async () => {
    expect(manifests.length).toBeGreaterThanOrEqual(9);
    for (const manifest of manifests) {
      const Model = await modelOf(manifest);
      expect(() => new Model(manifest).validate(), manifest.metadata.name).not.toThrow();
    }
  });

  it('would catch a wrong type or a missing field (the validation is real)', async () => {
    const deployment = structuredClone(
      named('Deployment', 'concord-api'),
    ) as (typeof deployments)[0];
    deployment.spec.template.spec.containers[0]!.ports![0]!.containerPort = 'http' as never;
    const Model = await modelOf(deployment);
    expect(() => new Model(deployment).validate()).toThrow(/containerPort/);
    const hpa = structuredClone(named('HorizontalPodAutoscaler', 'concord-ingest'));
    delete (hpa.spec as Record<string, unknown>).maxReplicas;
    const Scaler = await modelOf(hpa);
    expect(() => new Scaler(hpa).validate()).toThrow(/maxReplicas/);
  });

  it('run the API and ingest from files that exist, with every variable they require', () => {
    type ConfigMap = Manifest & { data: Record<string, string> };
    const secret = named('Secret', 'concord-secrets') as Manifest & {
      stringData: Record<string, string>;
    };
    const mains = deployments.map(
      (deployment) => deployment.spec.template.spec.containers[0]!.args![0]!,
    );
    expect(mains.sort()).toEqual(['apps/api/src/main.ts', 'apps/ingest/src/main.ts']);
    for (const deployment of deployments) {
      const { spec } = deployment.spec.template;
      for (const container of spec.containers) {
        const main = container.args![0]!;
        expect(existsSync(`${ROOT}${main}`), main).toBe(true);
        const given = new Set([
          ...(container.env ?? []).map((variable) => variable.name),
          ...(container.envFrom ?? []).flatMap((source) =>
            source.configMapRef
              ? Object.keys((named('ConfigMap', source.configMapRef.name) as ConfigMap).data)
              : [],
          ),
        ]);
        const required = requiredEnvironment(main);
        expect(required.length, main).toBeGreaterThan(0);
        for (const name of required) expect(given, `${main} needs ${name}`).toContain(name);
        expect(identityGiven(main, given), `${main} has an identity provider`).toBe(true);
        // Every secret a container reads names a key the secret has.
        for (const variable of container.env ?? []) {
          const reference = variable.valueFrom?.secretKeyRef;
          if (reference) {
            expect(reference.name).toBe(secret.metadata.name);
            expect(Object.keys(secret.stringData)).toContain(reference.key);
          }
        }
        // Files named by the environment are mounted where it says.
        for (const variable of container.env ?? []) {
          if (!variable.value?.startsWith('/')) continue;
          const mount = (container.volumeMounts ?? []).find((m) =>
            variable.value!.startsWith(`${m.mountPath}/`),
          );
          expect(mount, `${variable.name}=${variable.value} is mounted`).toBeDefined();
          const volume = spec.volumes?.find((candidate) => candidate.name === mount!.name);
          const file = variable.value.slice(mount!.mountPath.length + 1);
          expect(
            volume?.secret?.items?.map((item) => item.key),
            variable.name,
          ).toContain(file);
          expect(Object.keys(secret.stringData)).toContain(file);
        }
      }
    }
  });

  it('probe /health for liveness and /ready for readiness, on ports the containers declare', () => {
    for (const deployment of deployments)
      for (const container of deployment.spec.template.spec.containers) {
        const ports = new Set(
          (container.ports ?? []).flatMap((port) => [port.name, port.containerPort]),
        );
        expect(container.livenessProbe?.httpGet?.path, container.name).toBe('/health');
        expect(container.readinessProbe?.httpGet?.path, container.name).toBe('/ready');
        for (const probe of [
          container.livenessProbe,
          container.readinessProbe,
          container.startupProbe,
        ])
          if (probe) expect(ports, container.name).toContain(probe.httpGet!.port);
      }
  });

  it('run as non-root, read-only, with resources and a pinned image', () => {
    for (const deployment of deployments) {
      const { spec } = deployment.spec.template;
      expect(spec.securityContext?.runAsNonRoot).toBe(true);
      expect(spec.securityContext?.runAsUser).not.toBe(0);
      for (const container of spec.containers) {
        expect(container.image).toMatch(/:\d+\.\d+\.\d+$/);
        expect(container.resources?.requests?.cpu, container.name).toBeDefined();
        expect(container.resources?.requests?.memory, container.name).toBeDefined();
        expect(container.resources?.limits?.memory, container.name).toBeDefined();
        expect(container.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
        });
      }
    }
  });

  it('select their own pods, and scale what exists (ingest on consumer lag)', () => {
    for (const deployment of deployments)
      expect(deployment.spec.template.metadata.labels).toMatchObject(
        deployment.spec.selector.matchLabels,
      );
    const podLabels = deployments.map((deployment) => deployment.spec.template.metadata.labels);
    for (const service of ofKind('Service') as (Manifest & {
      spec: { selector: Record<string, string> };
    })[])
      expect(
        podLabels.some((labels) =>
          Object.entries(service.spec.selector).every(([key, value]) => labels[key] === value),
        ),
        service.metadata.name,
      ).toBe(true);
    const scalers = ofKind('HorizontalPodAutoscaler') as (Manifest & {
      spec: {
        scaleTargetRef: { kind: string; name: string };
        metrics: { type: string; external?: { metric: { name: string } } }[];
      };
    })[];
    for (const scaler of scalers)
      named(scaler.spec.scaleTargetRef.kind, scaler.spec.scaleTargetRef.name);
    const ingest = scalers.find((scaler) => scaler.spec.scaleTargetRef.name === 'concord-ingest');
    // The metric ingest serves on /metrics (apps/ingest/src/operations-http.ts).
    const metric = ingest?.spec.metrics.find((m) => m.type === 'External')?.external?.metric.name;
    expect(metric).toBe('concord_ingest_consumer_lag');
    expect(read('apps/ingest/src/operations-http.ts')).toContain(`name: '${metric}'`);
  });
});

describe('the compose file of the whole platform', () => {
  type Service = {
    image?: string;
    build?: { context: string; dockerfile: string };
    command?: string[];
    environment?: Record<string, string>;
    depends_on?: Record<string, unknown>;
    ports?: string[];
  };
  const compose = parseYaml(read('deploy/compose.platform.yaml'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const services = Object.entries(compose.services);
  const running = (main: string) => services.filter(([, service]) => service.command?.[0] === main);

  it('runs Kafka, PostgreSQL, two API replicas and two ingest instances', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'postgres']));
    expect(running('apps/api/src/main.ts')).toHaveLength(2);
    expect(running('apps/ingest/src/main.ts')).toHaveLength(2);
  });

  it('gives each process what it requires, built from the image definition', () => {
    for (const main of ['apps/api/src/main.ts', 'apps/ingest/src/main.ts'])
      for (const [name, service] of running(main)) {
        const given = new Set(Object.keys(service.environment ?? {}));
        for (const variable of requiredEnvironment(main))
          expect(given, `${name} needs ${variable}`).toContain(variable);
        expect(identityGiven(main, given), `${name} has an identity provider`).toBe(true);
        expect(existsSync(`${DEPLOY}${service.build!.context}/${service.build!.dockerfile}`)).toBe(
          true,
        );
        for (const dependency of Object.keys(service.depends_on ?? {}))
          expect(Object.keys(compose.services), `${name} depends on ${dependency}`).toContain(
            dependency,
          );
      }
  });
});

describe('the image definition', () => {
  const dockerfile = read('deploy/Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const stages = instructions.filter((line) => line.startsWith('FROM '));

  it('is multi-stage on a pinned Node 24 image, and runs as a user other than root', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    const lastStage = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));
    const user = lastStage.filter((line) => line.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (0|root)\b/);
  });

  it('installs packages that exist and starts a file that exists', () => {
    const filters = [...dockerfile.matchAll(/--filter '(@concord\/[a-z-]+)\.\.\.'/g)].map(
      (match) => match[1]!,
    );
    expect(filters.length).toBeGreaterThan(0);
    const packages = ['apps', 'libs'].flatMap((dir) =>
      readdirSync(`${ROOT}${dir}`)
        .filter((name) => existsSync(`${ROOT}${dir}/${name}/package.json`))
        .map((name) => (JSON.parse(read(`${dir}/${name}/package.json`)) as { name: string }).name),
    );
    for (const filter of filters) expect(packages).toContain(filter);
    const command = /^CMD \["([^"]+)"\]/m.exec(dockerfile)?.[1];
    expect(command && existsSync(`${ROOT}${command}`)).toBe(true);
    expect(read('.dockerignore')).toMatch(/^\*\*\/node_modules$/m);
  });
});
