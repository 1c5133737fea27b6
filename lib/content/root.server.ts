import 'server-only'
import path from 'node:path'
import { envNow } from '../env.server'

/** The content folder: QUAI_CONTENT_DIR, else content/ under `root` (the working directory). */
export function contentRoot(root: string = process.cwd()): string {
  const dir = envNow('QUAI_CONTENT_DIR')
  return dir ? path.resolve(dir) : path.join(root, 'content')
}
