#!/usr/bin/env bash
# Pipeline local : les étapes d'une CI, exécutées dans la sandbox.
# À compléter pendant la leçon (les lignes « À FAIRE »).
set -euo pipefail

IMAGE="${IMAGE:-quai/api-demo}"
VERSION=$(jq -r .version app/package.json)
SHA=$(git rev-parse --short HEAD)

echo "== 1. tests unitaires"
# À FAIRE : lancer les tests de l'application (npm test dans app/, ici dans un conteneur node:20-slim).

echo "== 2. construction de $IMAGE:$SHA"
# À FAIRE : construire l'image avec l'étiquette "$IMAGE:$SHA".

echo "== 3. test de fumée"
# À FAIRE : démarrer un conteneur de l'image, attendre que /health réponde, puis le supprimer.

echo "== 4. politique de sécurité"
# À FAIRE : refuser (exit 1) une image qui tourne en root ou qui n'a pas de HEALTHCHECK.

echo "== 5. étiquettes"
# À FAIRE : ajouter les étiquettes "$IMAGE:$VERSION" et "$IMAGE:latest".

echo "pipeline réussi : $IMAGE:$SHA"
