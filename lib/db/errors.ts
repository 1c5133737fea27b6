/** Prisma's answer when a unique constraint refused the row (P2002): someone else wrote it first. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === 'P2002'
}
