// Labels LocalPlacement puts on the containers and networks it makes (see local-placement.server.ts).

export const LABEL = {
  sandbox: 'quai.sandbox',
  node: 'quai.node',
  user: 'quai.user',
  placement: 'quai.placement',
  pool: 'quai.pool',
  role: 'quai.role',
  namespace: 'quai.namespace',
  registrySpec: 'quai.registry-spec',
} as const
