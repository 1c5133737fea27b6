// Génère le site statique des horaires : lit horaires.json, écrit dist/index.html.
// Ce script n'est utile qu'au moment du build : l'image finale n'en a pas besoin.
import { readFile, mkdir, writeFile } from 'node:fs/promises'

const horaires = JSON.parse(await readFile(new URL('./horaires.json', import.meta.url), 'utf8'))
const echapper = (texte) =>
  String(texte).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

const lignes = horaires
  .toSorted((a, b) => a.heure.localeCompare(b.heure))
  .map((t) => `      <tr><td>${echapper(t.heure)}</td><td>${echapper(t.depart)}</td><td>${echapper(t.arrivee)}</td><td>${t.duree_min} min</td></tr>`)
  .join('\n')

const page = `<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Horaires des traversées</title>
</head>
<body>
  <h1>Horaires des traversées</h1>
  <table>
    <thead><tr><th>Heure</th><th>Départ</th><th>Arrivée</th><th>Durée</th></tr></thead>
    <tbody>
${lignes}
    </tbody>
  </table>
  <p>Page générée le ${new Date().toISOString().slice(0, 10)}.</p>
</body>
</html>
`

await mkdir(new URL('./dist/', import.meta.url), { recursive: true })
await writeFile(new URL('./dist/index.html', import.meta.url), page)
console.log(`dist/index.html : ${horaires.length} traversées`)
