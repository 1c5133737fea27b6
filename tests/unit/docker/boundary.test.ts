// dockerode stays inside lib/docker. ESLint refuses `import ... from 'dockerode'` (and lib/docker's
// `apiOf`) elsewhere, but a dockerode type can also leave through a signature, without any import:
// a function of lib/docker that returns a raw client, or a module that re-exports the type of one.
// This test emits the declarations of every module under lib/ and looks for dockerode in them.
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

const root = path.resolve(import.meta.dirname, '../../..')

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(full)
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : []
  })
}

/** The one declaration that may name dockerode: lib/docker's own way in to the client it wraps. */
const allowed = /^export declare function apiOf\(daemon: DockerDaemon\): Docker;$|^import Docker from 'dockerode';$/

test('no module under lib/ exports a dockerode type (only client.server.ts, through apiOf)', () => {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })
  if (!config) throw new Error('tsconfig.json could not be read')
  const options: ts.CompilerOptions = { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true, incremental: false, removeComments: true, outDir: '/dts', declarationDir: '/dts' }
  const program = ts.createProgram(sourceFiles(path.join(root, 'lib')), options)
  const leaks: string[] = []
  program.emit(undefined, (file, text) => {
    if (!file.startsWith('/dts/lib/')) return
    const lines = text.split('\n').filter((l) => /dockerode/i.test(l) || /\bDocker\.\w/.test(l) || /: Docker\b|<Docker>/.test(l))
    const isClient = file === '/dts/lib/docker/client.server.d.ts'
    for (const line of lines) if (!(isClient && allowed.test(line.trim()))) leaks.push(`${file.slice('/dts/'.length)}: ${line.trim()}`)
  })
  expect(leaks).toEqual([])
}, 120_000)
