import { z } from 'zod'

/** A course or lesson slug, in content and in every API that names one (a file of its own so the browser's terminal and forms import only this). */
export const slug = z.string().max(100).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lower-case words joined by "-"')

/** A node name is also its hostname and its terminal tab: short, lowercase, DNS-safe. */
export const nodeNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'a node name is 1-16 characters: a-z, 0-9 and "-", starting with a letter')
