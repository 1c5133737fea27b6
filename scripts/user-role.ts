// Makes an account an instructor (or a student again):  npm run user:role -- someone@example.org instructor
import { setUserRole } from '../lib/accounts/users.server'
import { isRole } from '../lib/auth/roles'

const [email, role] = process.argv.slice(2)
if (!email || !isRole(role)) {
  console.error('usage: npm run user:role -- <email> <student|instructor>')
  process.exit(2)
}
if (!(await setUserRole(email, role))) {
  console.error(`no account with the email ${email}; it must sign up first`)
  process.exit(1)
}
console.log(`${email} is now ${role}`)
