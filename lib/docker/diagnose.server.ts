import 'server-only'
import fs from 'node:fs'
import { envNow } from '../env.server'

// What can go wrong between Quai and a Docker engine, as typed errors that say what happened
// and the command that fixes it. lib/docker turns dockerode's low-level failures into these
// (diagnoseDockerError); lib/sandbox and the scripts show `message` and `fix` as they are.

export type DockerProblemCode =
  | 'docker_missing'
  | 'daemon_not_running'
  | 'socket_permission'
  | 'privileged_refused'
  | 'image_missing'
  | 'host_setup'

export class DockerProblemError extends Error {
  override readonly name: string = 'DockerProblemError'
  constructor(
    readonly code: DockerProblemCode,
    message: string,
    /** The command (or step) that fixes it. */
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}. Fix: ${fix}`, options)
  }
}

export class DockerMissingError extends DockerProblemError {
  override readonly name = 'DockerMissingError'
  constructor(cause?: unknown) {
    super('docker_missing', 'Docker is not installed on this server', 'apt-get install -y docker.io (then start it: dockerd > /var/log/dockerd.log 2>&1 &)', { cause })
  }
}

export class DockerNotRunningError extends DockerProblemError {
  override readonly name = 'DockerNotRunningError'
  constructor(readonly socketPath: string, cause?: unknown) {
    super(
      'daemon_not_running',
      `the Docker daemon is not running (nothing answers on ${socketPath})`,
      'dockerd > /var/log/dockerd.log 2>&1 &   (or: systemctl start docker)',
      { cause },
    )
  }
}

export class DockerPermissionError extends DockerProblemError {
  override readonly name = 'DockerPermissionError'
  constructor(readonly socketPath: string, cause?: unknown) {
    super(
      'socket_permission',
      `this process (uid ${process.getuid?.() ?? '?'}) may not use the Docker socket ${socketPath}`,
      'run Quai as root, or add its user to the docker group: usermod -aG docker $(whoami), then log in again',
      { cause },
    )
  }
}

/** `--privileged` was refused by this engine (seen when CAP_SYS_RESOURCE or others are missing). */
export class PrivilegedRefusedError extends DockerProblemError {
  override readonly name = 'PrivilegedRefusedError'
  constructor(cause?: unknown) {
    super(
      'privileged_refused',
      'this Docker engine refuses --privileged containers ("unable to apply caps")',
      'nothing to do: Quai falls back to its capability recipe (QUAI_SANDBOX_ISOLATION=userns, see docs/sandbox.md)',
      { cause },
    )
  }
}

export class ImageMissingError extends DockerProblemError {
  override readonly name = 'ImageMissingError'
  constructor(readonly image: string, cause?: unknown) {
    super('image_missing', `the image ${image} is not built on this Docker engine`, 'npm run images:build', { cause })
  }
}

/** Something the host must provide for sandboxes (cgroups, loop devices, mount...). */
export class HostSetupError extends DockerProblemError {
  override readonly name = 'HostSetupError'
  constructor(message: string, fix: string, cause?: unknown) {
    super('host_setup', message, fix, { cause })
  }
}

/** The Docker problem behind an error (itself or a cause of it), if any: for messages with their fix. */
export function dockerProblemOf(error: unknown): DockerProblemError | null {
  let e: unknown = error
  for (let i = 0; i < 6 && e; i++) {
    if (e instanceof DockerProblemError) return e
    e = (e as { cause?: unknown }).cause
  }
  return null
}

const dockerBinaries = ['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd', '/usr/bin/docker', '/usr/local/bin/docker']

/** The host engine's socket path (DOCKER_HOST=unix://... or the default). */
export function hostSocketPath(): string {
  return envNow('DOCKER_HOST')?.slice('unix://'.length) ?? '/var/run/docker.sock'
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code
  return typeof code === 'string' ? code : undefined
}

function errorText(error: unknown): string {
  const e = error as { message?: unknown; json?: { message?: unknown }; reason?: unknown }
  const fromJson = typeof e?.json?.message === 'string' ? e.json.message : ''
  return `${typeof e?.message === 'string' ? e.message : String(error)} ${fromJson}`
}

/**
 * Turn an error from a call to the host engine into a DockerProblemError when it is one of
 * the known setup problems; anything else comes back unchanged.
 * `image` names the image the call needed, to recognise "No such image".
 */
export function diagnoseDockerError(error: unknown, context: { socketPath?: string; image?: string } = {}): unknown {
  if (error instanceof DockerProblemError) return error
  const socketPath = context.socketPath ?? hostSocketPath()
  const code = errorCode(error)
  const text = errorText(error)
  if (code === 'EACCES' || code === 'EPERM') return new DockerPermissionError(socketPath, error)
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    const installed = dockerBinaries.some((p) => fs.existsSync(p))
    return installed ? new DockerNotRunningError(socketPath, error) : new DockerMissingError(error)
  }
  if (/unable to apply caps|privileged.*(not permitted|refused)/i.test(text)) return new PrivilegedRefusedError(error)
  const status = (error as { statusCode?: unknown })?.statusCode
  if (context.image && (status === 404 || /No such image/i.test(text)) && /image/i.test(text)) {
    return new ImageMissingError(context.image, error)
  }
  return error
}
