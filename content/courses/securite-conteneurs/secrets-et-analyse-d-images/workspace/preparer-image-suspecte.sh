#!/bin/sh
# Fabrique l'image quai/fournisseur-api:1.4, telle qu'un prestataire pourrait vous la livrer.
# Le jeton npm n'existe qu'à l'intérieur de l'image : ni le Dockerfile ni le fichier .npmrc
# ne sont conservés. À vous de le retrouver avec les outils de la leçon.
set -eu
dossier=$(mktemp -d)
jeton="npm_$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
printf '//registry.npmjs.org/:_authToken=%s\n' "$jeton" > "$dossier/.npmrc"
cat > "$dossier/Dockerfile" <<'FIN'
FROM node:20-slim
WORKDIR /app
COPY .npmrc /root/.npmrc
RUN echo "installation des dépendances privées (simulée)" && rm /root/.npmrc
ENV NODE_ENV=production
CMD ["node", "-e", "console.log('fournisseur-api 1.4')"]
FIN
docker build -q -t quai/fournisseur-api:1.4 "$dossier" > /dev/null
rm -rf "$dossier"
echo "image quai/fournisseur-api:1.4 prête"
