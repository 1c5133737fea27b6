import 'server-only'
import { getDb } from '../db/client.server'
import type { Role } from '../auth/roles'

export async function countUsers(role: Role): Promise<number> {
  const db = await getDb()
  return db.user.count({ where: { role } })
}

/** Changes a user's role; returns false when no account has this email. */
export async function setUserRole(email: string, role: Role): Promise<boolean> {
  const db = await getDb()
  const result = await db.user.updateMany({ where: { email: email.toLowerCase() }, data: { role } })
  return result.count > 0
}
