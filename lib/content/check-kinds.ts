import { z } from 'zod'
import { nodeNameSchema } from './slug'
import { safeRegexProblem } from '../text/safe-regex'

// The declarative check kinds an exercise can use. Each check expands into one or more
// assertions when it runs (lib/checks/run.server.ts); every assertion carries a message.
// Objects are strict so that a misspelt field fails `npm run content:check`.
// The schema is part of what an author writes, so lib/content owns it and lib/checks reads it
// (checks import content, never the other way: docs/architecture.md).

const name = z.string().min(1).max(200)

/** Flags of every pattern in a check: ^ and $ also match at line ends. */
export const CHECK_PATTERN_FLAGS = 'm'

/**
 * A regular expression in JavaScript syntax, matched by RE2 (lib/text/safe-regex.ts): one it
 * cannot run (invalid, backreferences, lookarounds, too large) fails content:check.
 */
export const regex = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    const problem = safeRegexProblem(pattern, CHECK_PATTERN_FLAGS)
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid regular expression /${pattern}/: ${problem}` })
  })

/** A plain string means "equals". */
export const textMatch = z.union([
  z.string().min(1),
  z.strictObject({ contains: z.string().min(1) }),
  z.strictObject({ matches: regex }),
  z.strictObject({ equals: z.string() }),
])
export type TextMatch = z.infer<typeof textMatch>

/** A path inside a volume: relative, and never climbing out of it. */
const pathInVolume = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be relative to the volume, without ".."')

/**
 * `exists: false` asserts absence; any other property alongside it could never be checked.
 * `keep` lists the fields that select the object rather than assert something about it.
 */
function absenceIsExclusive(keep: readonly string[]) {
  const neutral = new Set(['kind', 'node', 'label', 'messages', 'weight', 'exists', ...keep])
  return (check: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (check.exists !== false) return
    for (const [key, value] of Object.entries(check)) {
      if (!neutral.has(key) && value !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" cannot be checked on something that must not exist (exists: false)` })
      }
    }
  }
}

/** A message written by the author, in both languages a learner may read. */
const authorText = z.strictObject({ fr: z.string().trim().min(1).max(300), en: z.string().trim().min(1).max(300) })

/**
 * The author's own message for an assertion that does not pass, instead of the catalogue's:
 * keyed by the end of the assertion's id ("running", "member:web", "exists"), as the preview
 * and the solvability test show it. A passed line keeps the catalogue's message, which says
 * what was found.
 */
export const authorMessages = z.record(z.string().min(1).max(200).regex(/^[^\s]+$/, 'an assertion id has no spaces'), authorText)
export type AuthorMessages = z.infer<typeof authorMessages>

/** A check's weight in the grade: a positive number, at most 100. */
export const checkWeight = z.number().positive('must be more than 0').max(100, 'at most 100')

const common = {
  /** Which sandbox node to read (multi-node labs); defaults to the exercise's node. */
  node: nodeNameSchema.optional(),
  /** A short label shown in the checklist instead of the generated one. */
  label: z.string().min(1).max(200).optional(),
  messages: authorMessages.optional(),
  /** What each of the check's assertions counts for in the exercise's grade (lib/progress/grade.ts); 1 by default. */
  weight: checkWeight.optional(),
}

/** Select a container by its name, or by Compose service (and project). */
const containerSelector = {
  name: name.optional(),
  service: name.optional(),
  project: name.optional(),
}

const portBinding = z.strictObject({
  container: z.number().int().min(1).max(65535),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  host: z.number().int().min(1).max(65535).optional(),
})

export const imageCheck = z.strictObject({
  kind: z.literal('image'),
  ...common,
  name,
  exists: z.boolean().default(true),
  user: z.string().optional(),
  nonRoot: z.boolean().optional(),
  healthcheck: z.boolean().optional(),
  maxSizeMB: z.number().positive().optional(),
  exposedPorts: z.array(z.number().int().min(1).max(65535)).optional(),
  env: z.record(z.string(), textMatch).optional(),
  labels: z.record(z.string(), textMatch).optional(),
  workdir: z.string().optional(),
  /** The Dockerfile it was built from, read in the sandbox, for properties an image does not record. */
  dockerfile: z
    .strictObject({
      path: z.string().min(1),
      multiStage: z.boolean().optional(),
      minStages: z.number().int().min(2).optional(),
    })
    .optional(),
}).superRefine(absenceIsExclusive(['name']))

export const containerCheck = z
  .strictObject({
    kind: z.literal('container'),
    ...common,
    ...containerSelector,
    exists: z.boolean().default(true),
    running: z.boolean().optional(),
    healthy: z.boolean().optional(),
    image: z.string().optional(),
    env: z.record(z.string(), textMatch).optional(),
    ports: z.array(portBinding).optional(),
    restartPolicy: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).optional(),
    memoryMB: z.number().positive().optional(),
    memoryReservationMB: z.number().positive().optional(),
    cpus: z.number().positive().optional(),
    pidsLimit: z.number().int().positive().optional(),
    user: z.string().optional(),
    nonRoot: z.boolean().optional(),
    capAdd: z.array(z.string()).optional(),
    capDrop: z.array(z.string()).optional(),
    readOnlyRootfs: z.boolean().optional(),
    noNewPrivileges: z.boolean().optional(),
    tmpfs: z.array(z.string()).optional(),
    networks: z.array(name).optional(),
    notNetworks: z.array(name).optional(),
    /** true: the container cannot leave its networks (only `none` or internal networks); false: it can. */
    isolated: z.boolean().optional(),
    mounts: z
      .array(z.strictObject({ target: z.string().min(1), volume: name.optional(), source: z.string().optional(), readOnly: z.boolean().optional() }))
      .optional(),
    labels: z.record(z.string(), textMatch).optional(),
    logDriver: z.string().optional(),
    logOptions: z.record(z.string(), z.string()).optional(),
    /** At least this many containers match the selector (Compose scaling). */
    count: z.number().int().min(0).optional(),
  })
  .refine((c) => c.name || c.service, { message: 'a container check needs "name" or "service"', path: ['name'] })
  .refine((c) => !(c.name && c.service), { message: 'a container check takes "name" or "service", not both', path: ['service'] })
  .refine((c) => !(c.project && !c.service), { message: '"project" narrows "service": give "service" too', path: ['project'] })
  .superRefine(absenceIsExclusive(['name', 'service', 'project']))

export const networkCheck = z.strictObject({
  kind: z.literal('network'),
  ...common,
  name,
  exists: z.boolean().default(true),
  driver: z.string().optional(),
  subnet: z.string().optional(),
  gateway: z.string().optional(),
  internal: z.boolean().optional(),
  attachable: z.boolean().optional(),
  scope: z.enum(['local', 'swarm']).optional(),
  members: z.array(name).optional(),
  notMembers: z.array(name).optional(),
}).superRefine(absenceIsExclusive(['name']))

export const dnsCheck = z.strictObject({
  kind: z.literal('dns'),
  ...common,
  /** The container the lookup runs in. */
  from: name,
  host: name,
  resolves: z.boolean().default(true),
  /** An IPv4 address the name must resolve to. */
  address: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address').optional(),
  /** The name must resolve to this container's address (on a network they share). */
  addressOf: name.optional(),
})

export const reachCheck = z.strictObject({
  kind: z.literal('reach'),
  ...common,
  from: name,
  host: name,
  port: z.number().int().min(1).max(65535).optional(),
  reachable: z.boolean().default(true),
})

export const volumeCheck = z.strictObject({
  kind: z.literal('volume'),
  ...common,
  name,
  exists: z.boolean().default(true),
  driver: z.string().optional(),
  mountedIn: z.array(name).optional(),
  /** A file in the volume, read through a running container that mounts it. */
  file: z.strictObject({ path: pathInVolume, contains: z.string().optional() }).optional(),
  /** The container mounting the volume was created after the file was written: data outlived a replacement. */
  survivedReplacement: z.strictObject({ container: name, path: pathInVolume }).optional(),
}).superRefine(absenceIsExclusive(['name']))

export const composeCheck = z.strictObject({
  kind: z.literal('compose'),
  ...common,
  project: name,
  services: z.array(name).optional(),
  running: z.array(name).optional(),
  healthy: z.array(name).optional(),
  notRunning: z.array(name).optional(),
  dependsOn: z
    .array(
      z.strictObject({
        service: name,
        on: name,
        condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']).optional(),
      }),
    )
    .optional(),
  profiles: z.record(z.string(), z.array(z.string())).optional(),
  replicas: z.record(z.string(), z.number().int().min(0)).optional(),
  configFiles: z.array(z.string()).optional(),
  /**
   * The Compose file read for `profiles` (and for `dependsOn` of services with no container):
   * defaults to the project's own config files, else compose.yaml in the working folder.
   */
  file: z.string().min(1).optional(),
})

export const httpCheck = z.strictObject({
  kind: z.literal('http'),
  ...common,
  url: z.string().url(),
  /** Run the request inside this container instead of on the sandbox node. */
  from: name.optional(),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  headers: z.record(z.string(), z.string()).optional(),
  insecure: z.boolean().optional(),
  status: z.number().int().min(100).max(599).optional(),
  responseHeaders: z.record(z.string(), textMatch).optional(),
  body: textMatch.optional(),
  json: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** Per-request limit (the exercise's budget still applies). */
  timeoutSeconds: z.number().int().min(1).max(60).default(5),
})

export const swarmCheck = z.strictObject({
  kind: z.literal('swarm'),
  ...common,
  active: z.boolean().default(true),
  managers: z.number().int().min(0).optional(),
  workers: z.number().int().min(0).optional(),
  nodes: z
    .array(
      z.strictObject({
        hostname: name,
        role: z.enum(['manager', 'worker']).optional(),
        availability: z.enum(['active', 'pause', 'drain']).optional(),
        labels: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
})

export const serviceCheck = z.strictObject({
  kind: z.literal('service'),
  ...common,
  name,
  exists: z.boolean().default(true),
  image: z.string().optional(),
  mode: z.enum(['replicated', 'global']).optional(),
  replicas: z.number().int().min(0).optional(),
  runningTasks: z.number().int().min(0).optional(),
  ports: z.array(z.strictObject({ target: z.number().int().min(1).max(65535), published: z.number().int().min(1).max(65535).optional() })).optional(),
  updateConfig: z
    .strictObject({
      parallelism: z.number().int().min(0).optional(),
      delaySeconds: z.number().min(0).optional(),
      failureAction: z.enum(['pause', 'continue', 'rollback']).optional(),
      order: z.enum(['stop-first', 'start-first']).optional(),
    })
    .optional(),
  rollbackConfig: z
    .strictObject({
      parallelism: z.number().int().min(0).optional(),
      delaySeconds: z.number().min(0).optional(),
      order: z.enum(['stop-first', 'start-first']).optional(),
    })
    .optional(),
  constraints: z.array(z.string()).optional(),
  preferences: z.array(z.string()).optional(),
  secrets: z.array(name).optional(),
  configs: z.array(name).optional(),
  networks: z.array(name).optional(),
  env: z.record(z.string(), textMatch).optional(),
  stack: name.optional(),
  /** The service was updated at least once (UpdateStatus present), optionally rolled back. */
  updated: z.boolean().optional(),
  rolledBack: z.boolean().optional(),
}).superRefine(absenceIsExclusive(['name']))

export const secretCheck = z.strictObject({
  kind: z.enum(['secret', 'config']),
  ...common,
  name,
  exists: z.boolean().default(true),
})

export const stackCheck = z.strictObject({
  kind: z.literal('stack'),
  ...common,
  name,
  services: z.array(name).optional(),
})

export const fileCheck = z.strictObject({
  kind: z.literal('file'),
  ...common,
  /** Relative to the sandbox's working folder, or absolute inside the node. */
  path: z.string().min(1),
  exists: z.boolean().default(true),
  contains: z.array(z.string().min(1)).optional(),
  notContains: z.array(z.string().min(1)).optional(),
  matches: z.array(regex).optional(),
  parse: z.enum(['yaml', 'json']).optional(),
  /** Dot paths that must be present after parsing, e.g. "services.api.healthcheck". */
  keys: z.array(z.string().min(1)).optional(),
  /** Dot paths with their expected values after parsing. */
  values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
})
  .refine((f) => !((f.keys || f.values) && !f.parse), { message: '"keys" and "values" need "parse: yaml" or "parse: json"', path: ['parse'] })
  .superRefine(absenceIsExclusive(['path']))

export const commandCheck = z.strictObject({
  kind: z.literal('command'),
  ...common,
  run: z.string().min(1),
  /** A process exit status: 0 to 255 (a shell reports a signal as 128 + its number). */
  exitCode: z.number().int().min(0).max(255).default(0),
  stdout: textMatch.optional(),
})

export const scriptCheck = z.strictObject({
  kind: z.literal('script'),
  ...common,
  /** Shown to the learner: what the script verifies. */
  label: z.string().min(1).max(200),
  run: z.string().min(1),
})

export const checkSchema = z.discriminatedUnion('kind', [
  imageCheck,
  containerCheck,
  networkCheck,
  dnsCheck,
  reachCheck,
  volumeCheck,
  composeCheck,
  httpCheck,
  swarmCheck,
  serviceCheck,
  secretCheck,
  stackCheck,
  fileCheck,
  commandCheck,
  scriptCheck,
])

export type Check = z.infer<typeof checkSchema>
export type CheckKind = Check['kind']

export const checkKinds = [
  'image', 'container', 'network', 'dns', 'reach', 'volume', 'compose', 'http',
  'swarm', 'service', 'secret', 'config', 'stack', 'file', 'command', 'script',
] as const satisfies readonly CheckKind[]

/** Kinds that execute something in the sandbox rather than only reading its state. */
export const runsCommands = (check: Check): boolean => check.kind === 'command' || check.kind === 'script'
