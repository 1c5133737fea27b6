import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import YAML from 'yaml'
import { z } from 'zod'

// The shippable deployment files (deploy/, docs/deploy.md) stay valid: the Swarm stack and its
// offline override as `docker stack config` resolves them (the Docker CLI's own Compose loader,
// which `docker stack deploy` uses), the one-host Compose file by structure (no Compose plugin
// on these machines), the Prometheus and Alertmanager files with promtool and amtool in the
// lesson images, HAProxy's configuration with haproxy -c, and the metric names against the list
// quai-web and quai-agent export.

const root = process.cwd()
const deploy = path.join(root, 'deploy')
const monitoring = path.join(deploy, 'monitoring')
const variables = {
  QUAI_VERSION: '1.2.3',
  QUAI_HOST: 'quai.test',
  QUAI_PORTS_HOST: 'ports.quai-labs.test',
  QUAI_GRAFANA_HOST: 'grafana.quai.test',
  ACME_EMAIL: 'ops@quai.test',
}

/** The metrics quai-web (:9464) and quai-agent (:9465) export; histograms also as _bucket, _sum, _count. */
const metrics = {
  gauges: ['quai_sandboxes', 'quai_active_learners', 'quai_terminal_streams_open', 'quai_live_check_streams_open', 'quai_agent_sandboxes_running', 'quai_agent_capacity_used_ratio', 'quai_agent_info'],
  counters: ['quai_terminal_bytes_total', 'quai_http_requests_total', 'quai_errors_total'],
  histograms: ['quai_sandbox_start_seconds', 'quai_check_seconds'],
}
const allowedSeries = new Set([...metrics.gauges, ...metrics.counters, ...metrics.histograms.flatMap((h) => ['_bucket', '_sum', '_count'].map((s) => h + s))])
const baseName = (series: string) => series.replace(/_(bucket|sum|count)$/, '')

function stackConfig(files: string[], env: Record<string, string | undefined> = variables): unknown {
  const result = spawnSync('docker', ['stack', 'config', ...files.flatMap((f) => ['-c', path.join(deploy, f)])], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`docker stack config ${files.join(' ')} failed: ${result.stderr || result.error?.message}`)
  return YAML.parse(result.stdout)
}

const healthcheck = z.object({ test: z.array(z.string()).min(2), interval: z.string().optional(), retries: z.number().optional() })
const service = z.object({
  image: z.string(),
  healthcheck,
  environment: z.record(z.string(), z.string()).optional(),
  secrets: z.array(z.object({ source: z.string() })).optional(),
  configs: z.array(z.object({ source: z.string(), target: z.string() })).optional(),
  networks: z.record(z.string(), z.unknown()).optional(),
  deploy: z.object({
    endpoint_mode: z.string().optional(),
    replicas: z.number().optional(),
    restart_policy: z.object({ condition: z.enum(['any', 'on-failure']) }),
    resources: z.object({ limits: z.object({ memory: z.string() }) }),
    placement: z.object({ constraints: z.array(z.string()).optional() }).optional(),
    update_config: z.object({ order: z.string().optional(), failure_action: z.string().optional(), parallelism: z.number().optional() }).optional(),
    rollback_config: z.object({ order: z.string().optional(), parallelism: z.number().optional() }).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
})
const stackSchema = z.object({
  services: z.record(z.string(), service),
  networks: z.record(z.string(), z.object({ driver: z.string().optional(), internal: z.boolean().optional() }).nullable()),
  volumes: z.record(z.string(), z.unknown()),
  secrets: z.record(z.string(), z.object({ external: z.boolean().optional(), file: z.string().optional() })),
  configs: z.record(z.string(), z.object({ name: z.string().optional(), file: z.string() })),
})
type Stack = z.infer<typeof stackSchema>

function parseStack(files: string[]): Stack {
  const parsed = stackSchema.safeParse(stackConfig(files))
  if (!parsed.success) throw new Error(`${files.join(' + ')}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
  return parsed.data
}

function webOf(stack: Stack) {
  const web = stack.services['quai-web']
  if (!web) throw new Error('no quai-web service')
  return web
}

describe('deploy/stack.yaml (docker stack config)', () => {
  const stack = parseStack(['stack.yaml'])
  const web = webOf(stack)

  test('quai-web: at least 2 replicas, rolled out start-first, rolled back on failure, health-checked', () => {
    expect(web.image).toBe('quai/web:1.2.3')
    expect(web.deploy.replicas).toBeGreaterThanOrEqual(2)
    expect(web.deploy.update_config).toMatchObject({ order: 'start-first', failure_action: 'rollback', parallelism: 1 })
    expect(web.deploy.rollback_config).toBeDefined()
    expect(web.healthcheck.test).toEqual(['CMD', 'node', '/usr/local/bin/healthcheck.mjs'])
  })

  test('quai-web is routed by Traefik labels on the service (deploy.labels): the app host and the ports domain', () => {
    const labels = web.deploy.labels ?? {}
    expect(labels['traefik.enable']).toBe('true')
    expect(labels['traefik.http.routers.quai.rule']).toBe('Host(`quai.test`)')
    expect(labels['traefik.http.routers.quai-ports.rule']).toBe('HostRegexp(`^p[0-9]+-[a-z2-7]+[.]ports.quai-labs.test$`)')
    expect(labels['traefik.http.routers.quai-ports.tls.domains[0].main']).toBe('*.ports.quai-labs.test')
    expect(labels['traefik.http.services.quai.loadbalancer.server.port']).toBe('3000')
    expect(labels['traefik.http.services.quai.loadbalancer.healthcheck.path']).toBe('/api/health')
    expect(labels['traefik.http.routers.quai.middlewares']).toBe('quai-retry')
    expect(stack.services.edge?.image).toMatch(/^traefik:v3\.\d+$/)
    expect(stack.services.edge?.deploy.placement?.constraints).toContain('node.role == manager')
  })

  test('secrets are external Docker secrets, read from files; no secret value in the environment', () => {
    const used = new Set(Object.values(stack.services).flatMap((s) => (s.secrets ?? []).map((x) => x.source)))
    expect([...used]).toEqual(expect.arrayContaining(['quai_db_password', 'quai_auth_secret', 'quai_agent_key']))
    for (const name of used) expect(stack.secrets[name], name).toEqual({ external: true })
    expect(web.environment).toMatchObject({
      DATABASE_PASSWORD_FILE: '/run/secrets/quai_db_password',
      BETTER_AUTH_SECRET_FILE: '/run/secrets/quai_auth_secret',
      QUAI_AGENT_KEY_FILE: '/run/secrets/quai_agent_key',
      QUAI_METRICS_ADDRESS: '0.0.0.0:9464',
    })
    expect(web.environment?.QUAI_AGENT_SOCKET).toBeUndefined()
    for (const [name, s] of Object.entries(stack.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|KEY/.test(key)) expect(value, `${name}.${key}`).toMatch(/^\/run\/secrets\//)
      }
      expect(s.environment?.DATABASE_URL ?? '', name).not.toMatch(/:[^/@]+@/)
    }
  })

  test('configuration is Docker configs made from files of the repository, versioned by name', () => {
    for (const [name, config] of Object.entries(stack.configs)) {
      expect(fs.existsSync(config.file), `${name}: ${config.file}`).toBe(true)
      expect(config.name, name).toMatch(/^quai_.+_1$/)
    }
    const prometheus = stack.services.prometheus
    expect(prometheus?.configs?.map((c) => c.target)).toEqual(['/etc/prometheus/prometheus.yml', '/etc/prometheus/rules/quai.yml', '/etc/prometheus/agents.yml'])
  })

  test('PostgreSQL stays on the labelled node with its volume, one server at a time', () => {
    const postgres = stack.services.postgres
    expect(postgres?.deploy.placement?.constraints).toContain('node.labels.quai.db == true')
    expect(postgres?.deploy.update_config?.order).toBe('stop-first')
    expect(stack.volumes).toHaveProperty('pgdata')
    expect(stack.networks.back?.internal).toBe(true)
  })

  test('every service is health-checked, restarted and limited; networks split front, back, monitoring', () => {
    for (const [name, s] of Object.entries(stack.services)) {
      expect(s.healthcheck.test.length, name).toBeGreaterThan(1)
      expect(s.deploy.resources.limits.memory, name).toMatch(/^\d+$/)
      // No IPVS virtual IP: kernels without ip_vs (the CI machines') cannot route one.
      expect(s.deploy.endpoint_mode, name).toBe('dnsrr')
    }
    expect(Object.keys(stack.networks).sort()).toEqual(['back', 'front', 'monitoring'])
    expect(Object.keys(stack.services).sort()).toEqual(['alertmanager', 'edge', 'grafana', 'postgres', 'prometheus', 'quai-web'])
  })

  test('a missing required variable is refused, with its name', () => {
    expect(() => stackConfig(['stack.yaml'], { ...variables, QUAI_HOST: undefined })).toThrow(/QUAI_HOST/)
  })
})

describe('deploy/stack.offline.yaml', () => {
  const stack = parseStack(['stack.yaml', 'stack.offline.yaml'])

  test('every task that runs uses an image built here; Traefik and Grafana run no task', () => {
    const running = Object.entries(stack.services).filter(([, s]) => s.deploy.replicas !== 0)
    for (const [name, s] of running) expect(s.image, name).toMatch(/^quai\//)
    expect(stack.services.edge?.deploy.replicas).toBe(0)
    expect(stack.services.grafana?.deploy.replicas).toBe(0)
    expect(stack.services['edge-offline']?.image).toBe('quai/lesson-haproxy:latest')
    const web = webOf(stack)
    expect(web.deploy.replicas).toBeGreaterThanOrEqual(2)
    expect(web.deploy.update_config).toMatchObject({ order: 'start-first', failure_action: 'rollback' })
    expect(web.environment?.QUAI_URL).toBe('http://quai.test')
  })

  test('the override adds no health check or constraint to a service it does not own (lists append)', () => {
    for (const [name, s] of Object.entries(stack.services)) {
      expect(s.healthcheck.test.filter((part) => /^CMD/.test(part)).length, name).toBe(1)
    }
  })
})

describe('deploy/compose.yaml (one host)', () => {
  // No Compose plugin on these machines, and `docker stack config` refuses Compose-only keys
  // (privileged, network_mode, cgroup): the file is parsed and its structure checked.
  const composeService = z.object({
    image: z.string(),
    healthcheck: healthcheck,
    restart: z.enum(['always', 'unless-stopped']),
    deploy: z.object({ resources: z.object({ limits: z.object({ memory: z.string() }) }) }),
    secrets: z.array(z.string()).optional(),
    volumes: z.array(z.union([z.string(), z.object({ type: z.string(), source: z.string(), target: z.string() })])).optional(),
    environment: z.record(z.string(), z.string()).optional(),
  })
  const compose = z
    .object({
      services: z.record(z.string(), composeService),
      networks: z.record(z.string(), z.unknown()),
      volumes: z.record(z.string(), z.unknown()),
      secrets: z.record(z.string(), z.object({ file: z.string() })),
    })
    .parse(YAML.parse(fs.readFileSync(path.join(deploy, 'compose.yaml'), 'utf8')))

  test('the seven services, each health-checked, restarted and limited', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'edge', 'grafana', 'postgres', 'prometheus', 'quai-agent', 'quai-web'])
    expect(Object.keys(compose.networks).sort()).toEqual(['back', 'front', 'monitoring'])
  })

  test('the files it mounts exist, and secrets are files', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const volume of s.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : volume.source
        if (source.startsWith('./')) expect(fs.existsSync(path.join(deploy, source)), `${name}: ${source}`).toBe(true)
      }
    }
    for (const [name, value] of Object.entries(compose.services['quai-web']?.environment ?? {})) {
      if (/PASSWORD|SECRET|KEY/.test(name)) expect(value, name).toMatch(/^\/run\/secrets\//)
    }
    expect(Object.values(compose.secrets).every((s) => s.file.startsWith('./secrets/'))).toBe(true)
  })
})

describe('metric names', () => {
  const rules = YAML.parse(fs.readFileSync(path.join(monitoring, 'rules', 'quai.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string; for?: string }[] }[] }
  const alerts = rules.groups.flatMap((g) => g.rules)
  const dashboard = JSON.parse(fs.readFileSync(path.join(monitoring, 'grafana', 'dashboards', 'quai.json'), 'utf8')) as {
    uid: string
    title: string
    panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[]
  }
  const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr))
  const namesIn = (exprs: string[]) => new Set(exprs.flatMap((e) => e.match(/\bquai_[a-z_]+\b/g) ?? []))

  test('every quai_ series the alerts and the dashboard read is one quai-web or quai-agent exports', () => {
    const used = new Set([...namesIn(alerts.map((a) => a.expr)), ...namesIn(dashboardExprs)])
    for (const name of used) expect(allowedSeries.has(name), name).toBe(true)
  })

  test('the dashboard shows every exported metric', () => {
    const shown = new Set([...namesIn(dashboardExprs)].map(baseName))
    for (const name of [...metrics.gauges, ...metrics.counters, ...metrics.histograms]) expect(shown.has(name), name).toBe(true)
    expect(dashboard).toMatchObject({ uid: 'quai', title: 'Quai' })
    const datasource = YAML.parse(fs.readFileSync(path.join(monitoring, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as { datasources: { uid: string }[] }
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid).toBe(datasource.datasources[0]?.uid)
  })

  test('the four alerts of issue 15', () => {
    const byName = new Map(alerts.map((a) => [a.alert, a]))
    expect(byName.get('QuaiAgentDown')).toMatchObject({ expr: 'up{job="quai-agent"} == 0', for: '30s' })
    expect(byName.get('QuaiCapacityHigh')?.expr).toMatch(/quai_agent_capacity_used_ratio\) > 0\.9$/)
    expect(byName.get('QuaiSandboxStartSlow')?.expr).toMatch(/histogram_quantile\(0\.95, .*quai_sandbox_start_seconds_bucket.*\) > 5$/)
    expect(byName.get('QuaiErrorRate')?.expr).toMatch(/quai_http_requests_total\{status=~"5\.\."\}/)
  })
})

describe('promtool, amtool and haproxy on the shipped files', () => {
  // The lesson images carry Debian's Prometheus, Alertmanager and HAProxy (npm run images:build).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quai-deploy-'))
  fs.cpSync(monitoring, dir, { recursive: true })
  fs.copyFileSync(path.join(monitoring, 'agents.example.yml'), path.join(dir, 'agents.yml'))
  execFileSync('chmod', ['-R', 'a+rX', dir])
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  function inImage(image: string, entrypoint: string, args: string[], mounts: string[] = [`${dir}:/etc/prometheus:ro`], env: string[] = []) {
    const result = spawnSync('docker', ['run', '--rm', ...mounts.flatMap((m) => ['-v', m]), ...env.flatMap((e) => ['-e', e]), '--entrypoint', entrypoint, image, ...args], { encoding: 'utf8' })
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` }
  }

  test.each(['prometheus.yml', 'prometheus.compose.yml'])('promtool check config %s', (file) => {
    const r = inImage('quai/lesson-prometheus:latest', 'promtool', ['check', 'config', `/etc/prometheus/${file}`])
    expect(r.output).toContain('SUCCESS')
    expect(r.ok, r.output).toBe(true)
  })

  test('promtool check rules, and the rules fire as their unit tests say', () => {
    const check = inImage('quai/lesson-prometheus:latest', 'promtool', ['check', 'rules', '/etc/prometheus/rules/quai.yml'])
    expect(check.ok, check.output).toBe(true)
    const unit = inImage('quai/lesson-prometheus:latest', 'sh', ['-c', 'cd /etc/prometheus/tests && promtool test rules rules.test.yml'])
    expect(unit.ok, unit.output).toBe(true)
  })

  test('amtool check-config alertmanager.yml', () => {
    const r = inImage('quai/lesson-alertmanager:latest', 'amtool', ['check-config', '/etc/prometheus/alertmanager.yml'])
    expect(r.ok, r.output).toBe(true)
  })

  test('haproxy -c on the offline edge', () => {
    const r = inImage('quai/lesson-haproxy:latest', 'haproxy', ['-c', '-f', '/cfg/haproxy.cfg'], [`${path.join(deploy, 'haproxy', 'haproxy.cfg')}:/cfg/haproxy.cfg:ro`], ['QUAI_HOST=quai.test', 'QUAI_PORTS_HOST=ports.quai-labs.test'])
    expect(r.ok, r.output).toBe(true)
  })
})

describe('deploy/Dockerfile', () => {
  const text = fs.readFileSync(path.join(deploy, 'Dockerfile'), 'utf8')
  const stage = (name: string) => text.split(/^FROM /m).find((s) => new RegExp(`AS ${name}\\n`).test(s.split('\n')[0] + '\n')) ?? ''

  test('the web image runs as a non-root user; both have a health check; the base is pinned', () => {
    // The web image is its runtime stage (user, health check, command) plus the application;
    // deploy/Dockerfile.prebuilt puts the host's build on the same runtime.
    expect(stage('web').split('\n')[0]).toBe('web-runtime AS web')
    expect(stage('web')).toMatch(/^USER quai$/m)
    expect(stage('web-runtime')).toMatch(/^HEALTHCHECK /m)
    expect(stage('web-runtime')).toMatch(/^RUN groupadd --system --gid 10001 quai/m)
    const prebuilt = fs.readFileSync(path.join(deploy, 'Dockerfile.prebuilt'), 'utf8')
    expect(prebuilt).toMatch(/^ARG RUNTIME=quai\/web-runtime:latest$/m)
    expect(prebuilt).toMatch(/^USER quai$/m)
    // Before the build stages: `--target web-runtime` must not run the 13-minute build.
    expect(text.indexOf('AS web-runtime')).toBeLessThan(text.indexOf('AS deps'))
    expect(stage('agent')).toMatch(/^HEALTHCHECK /m)
    expect(text).toMatch(/^ARG BASE=debian:trixie-slim$/m)
    expect(text).not.toMatch(/^FROM \S+:latest/m)
  })
})
