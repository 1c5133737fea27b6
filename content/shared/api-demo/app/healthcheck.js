// Sonde de santé pour la directive HEALTHCHECK : l'image node:20-slim n'a ni curl ni wget.
// Code de sortie 0 si /health répond 2xx, 1 sinon.
const port = process.env.PORT || 3000
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1))
