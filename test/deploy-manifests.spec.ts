import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MALLOC_TUNING, serviceDefaults } from '@pipewright/service-kit';

const root = join(__dirname, '..');

describe('deploy/ manifests', () => {
  it('compose runs every service on its default ports with the infrastructure it needs', () => {
    const [doc] = parseAllDocuments(readFileSync(join(root, 'deploy/compose/compose.yaml'), 'utf8'), { merge: true });
    expect(doc.errors).toEqual([]);
    const services = doc.toJS({ maxAliasCount: 100 }).services;
    for (const name of Object.keys(serviceDefaults)) {
      expect(services[name].command).toEqual([`services/${name}/src/main.ts`]);
      expect(services[name].environment.KAFKA_BROKERS).toBe('kafka:9092');
    }
    expect(services.kafka.environment.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('kubernetes has a Deployment and a Service per service, probed on readiness, with matching ports', () => {
    const docs = parseAllDocuments(readFileSync(join(root, 'deploy/kubernetes/pipewright.yaml'), 'utf8')).map((d) => d.toJS());
    for (const [name, port] of Object.entries(serviceDefaults)) {
      const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === name);
      const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === name);
      const container = deployment.spec.template.spec.containers[0];
      expect(container.args).toEqual([`services/${name}/src/main.ts`]);
      expect(container.ports).toEqual([{ name: 'grpc', containerPort: port }, { name: 'http', containerPort: port + 1000 }]);
      expect(container.readinessProbe.httpGet.path).toBe('/readyz');
      expect(service.spec.ports[0].port).toBe(port);
    }
  });

  it('the image runs every service with the malloc settings service processes get', () => {
    const env = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8').match(/^ENV (.*)$/m)![1];
    const settings = Object.fromEntries(env.split(/\s+/).map((pair) => pair.split('=')));
    expect(settings).toMatchObject(MALLOC_TUNING);
  });
});
