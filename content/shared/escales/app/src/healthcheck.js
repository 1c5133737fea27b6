// Sonde lancée par l'instruction HEALTHCHECK du Dockerfile : code de sortie 0 si
// /health répond 200 dans le délai, 1 sinon. Pas besoin de curl dans l'image.
'use strict'
const port = process.env.PORT || 3000
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1))
