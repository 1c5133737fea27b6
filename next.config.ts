import type { NextConfig } from 'next'
import createNextIntlPlugin from 'next-intl/plugin'

const withNextIntl = createNextIntlPlugin('./lib/i18n/request.ts')

const nextConfig: NextConfig = {
  // Packages with native parts or dynamic requires run from node_modules, not from the bundle.
  serverExternalPackages: [
    'dockerode',
    'docker-modem',
    'ssh2',
    'cpu-features',
    'ws',
    'better-sqlite3',
    '@prisma/adapter-better-sqlite3',
    '@prisma/adapter-pg',
    'pg',
    'mdx-bundler',
    'esbuild',
    'shiki',
    'tar-stream',
    // One prom-client for the custom server and the route handlers (lib/metrics/web.server.ts).
    'prom-client',
  ],
  experimental: { authInterrupts: true },
  poweredByHeader: false,
  typedRoutes: false,
}

export default withNextIntl(nextConfig)
