/** A CRD the size of the Gateway API's: an openAPIV3Schema with hundreds of documented properties (> 100 KiB). */
export function bigCrd(group: string) {
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 600; i++) {
    properties[`field${i}`] = {
      type: 'object',
      description: `Field ${i} configures one part of the route. ${'It is documented at length, as operator CRDs are. '.repeat(3)}`,
      properties: { name: { type: 'string', maxLength: 253 }, port: { type: 'integer', minimum: 1, maximum: 65535 } },
    };
  }
  const version = (name: string, served: boolean) => ({
    name,
    served,
    storage: name === 'v1',
    schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties } } } },
  });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `routes.${group}` },
    spec: {
      group,
      names: { kind: 'Route', plural: 'routes', singular: 'route', listKind: 'RouteList' },
      scope: 'Namespaced',
      versions: [version('v1', true), version('v1beta1', true)],
    },
  };
}
