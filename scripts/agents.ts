// The quai-agents this quai-web places sandboxes on (docs/sandbox.md, "Add a sandbox host"):
//   npm run agents -- add <name> <address>     address: /run/quai/agent.sock or http://10.0.0.5:7070
//   npm run agents -- drain|undrain <name>     a draining agent takes no new sandbox, keeps its running ones
//   npm run agents -- remove <name>            refused while it holds live sandboxes
//   npm run agents -- list
//   npm run agents -- move-disks <from> <to>   the kept disks of one agent's host to another's (docs/persistence.md)
import { addAgent, listAgents, parseCapacity, removeAgent, setDraining } from '../lib/sandbox/agents.server'
import { moveKeptDisks } from '../lib/sandbox/kept-move.server'

const usage = 'usage: npm run agents -- add <name> <address> | drain <name> | undrain <name> | remove <name> | list | move-disks <from> <to>'
const [command, name, address] = process.argv.slice(2)

function need(value: string | undefined): string {
  if (!value) {
    console.error(usage)
    process.exit(2)
  }
  return value
}

switch (command) {
  case 'add': {
    try {
      const agent = await addAgent(need(name), need(address))
      console.log(`${agent.name} registered at ${agent.address}; quai-web places sandboxes on it once it answers a heartbeat`)
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error))
      process.exit(1)
    }
    break
  }
  case 'drain':
  case 'undrain': {
    if (!(await setDraining(need(name), command === 'drain'))) {
      console.error(`no agent named ${name}`)
      process.exit(1)
    }
    console.log(command === 'drain' ? `${name} is draining: no new sandbox goes there; its running ones stay` : `${name} takes new sandboxes again`)
    break
  }
  case 'remove': {
    const r = await removeAgent(need(name))
    if (r.live > 0) {
      console.error(`${name} still holds ${r.live} live sandbox(es): drain it and wait for them to end`)
      process.exit(1)
    }
    if (!r.removed) {
      console.error(`no agent named ${name}`)
      process.exit(1)
    }
    console.log(`${name} removed`)
    break
  }
  case 'list': {
    for (const a of await listAgents()) {
      const c = parseCapacity(a.capacity)
      const state = a.lostAt ? `LOST since ${a.lostAt.toISOString()}` : a.draining ? 'draining' : 'accepting'
      const room = c ? `${c.runningSandboxes} running, ${c.memoryFreeMb} MB memory free, ${c.diskFreeMb} MB disk free` : 'never answered'
      console.log(`${a.name}\t${a.address}\t${state}\t${room}\tlast seen ${a.lastSeenAt?.toISOString() ?? 'never'}`)
    }
    break
  }
  case 'move-disks': {
    try {
      const result = await moveKeptDisks(need(name), need(address), (line) => console.log(line))
      console.log(`${result.moved.length} kept disk(s) moved from ${name} to ${address}${result.failed.length ? `, ${result.failed.length} not moved (still kept on ${name})` : ''}`)
      if (result.failed.length) process.exit(1)
    } catch (error) {
      console.error(error instanceof Error ? error.message : String(error))
      process.exit(1)
    }
    break
  }
  default:
    console.error(usage)
    process.exit(2)
}
