// Starts @atproto/dev-env's TestNetwork (PLC + PDS + AppView + bsync + ozone) for tuidesk's
// tests and prints one JSON line with its URLs. Every server is forced onto 127.0.0.1:
// dev-env listens on all interfaces otherwise. A small control server (also loopback)
// answers POST /process (network.processAll(), after writes) and POST /stop.
import dns from 'node:dns'
import http from 'node:http'
import net from 'node:net'

dns.setDefaultResultOrder('ipv4first')
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const first = args[0]
  if (first !== null && typeof first === 'object' && !first.path && !(first instanceof net.Server)) {
    args[0] = { ...first, host: '127.0.0.1' }
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] === 'string') args[1] = '127.0.0.1'
    else args.splice(1, 0, '127.0.0.1')
  } else if (first === undefined || typeof first === 'function') {
    args.unshift(0, '127.0.0.1')
  }
  return listen.apply(this, args)
}

const { TestNetwork } = await import('@atproto/dev-env')
const network = await TestNetwork.create({
  dbPostgresSchema: process.env.DB_POSTGRES_SCHEMA || 'tuidesk_tests',
})

const control = http.createServer(async (req, res) => {
  try {
    if (req.url === '/process') {
      await network.processAll()
      res.end('{}')
    } else if (req.url === '/stop') {
      res.end('{}')
      await network.close()
      process.exit(0)
    } else {
      res.statusCode = 404
      res.end('{}')
    }
  } catch (err) {
    res.statusCode = 500
    res.end(JSON.stringify({ error: String(err) }))
  }
})
control.listen(0, '127.0.0.1', () => {
  const loop = (u) => u.replace('localhost', '127.0.0.1')
  console.log(JSON.stringify({
    pds: loop(network.pds.url),
    appview: loop(network.bsky.url),
    plc: loop(network.plc.url),
    control: `http://127.0.0.1:${control.address().port}`,
  }))
})
process.on('SIGTERM', async () => { await network.close().catch(() => {}); process.exit(0) })
