import { getAuth } from '@/lib/auth/auth.server'

async function handle(request: Request): Promise<Response> {
  const auth = await getAuth()
  return auth.handler(request)
}

export { handle as GET, handle as POST }
